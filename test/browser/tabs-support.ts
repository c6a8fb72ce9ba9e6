// Helpers of the tests that drive signed-in tabs of the test app against the real provider with
// short-lived access tokens: storage quota and records, session races, refresh checks.
import type { BrowserContext, Page } from 'playwright-core'
import { issuerContext, recordKey, refreshLock, storedRecords, type Harness } from './app.js'
import { until } from './rogue-app.js'
import type { TestProvider } from '../support/provider.js'

// A short access-token lifetime, so that tokens start expiring after half of it (45 s).
export const accessTokenTtl = 90

export const eventTypes = (page: Page) =>
  page.evaluate(() => window.events.map((event) => event.type))

export async function waitForStatus(pages: Page[], status: string) {
  for (const page of pages) {
    await page.waitForFunction((status) => window.client.getState().status === status, status, {
      timeout: 5000,
    })
  }
}

export const status = (page: Page) => page.evaluate(() => window.client.getState().status)

export const readRecord = async (page: Page, key: string) => (await storedRecords(page))[key]

/** The helpers that read the harness `get()` returns, which exists once `before` has run. */
export function harnessHelpers(get: () => Harness) {
  return {
    grants: () => get().op.requests.filter((request) => request === 'POST /token').length,
    sessionKey: () => recordKey(get().op.issuer, 'session'),
    // A refresh runs under the tab lock from the moment it starts: once the lock is free, any
    // refresh the page started is over.
    settled: (page: Page) =>
      page.evaluate(
        (name) => navigator.locks.request(name, async () => {}),
        refreshLock(get().op.issuer),
      ),
    newContext: (): Promise<BrowserContext> => issuerContext(get().browser, get().op.issuer),
  }
}

/**
 * Counts, in each page of `context` opened after it, the asynchronous work in flight
 * (IndexedDB opens and transactions, WebCrypto, fetch, Web Locks) and the BroadcastChannel
 * messages sent and received, so that a test that asserts something did not happen can wait
 * until nothing more can happen instead of waiting a fixed time. See `quiet`.
 */
export function countAsyncWork(context: BrowserContext) {
  return context.addInitScript(() => {
    // tsx keeps function names with a helper the page lacks.
    ;(window as any).__name = (fn: unknown) => fn
    const work = { pending: 0, posted: 0, received: 0 }
    Object.assign(window, { __work: work })
    const started = () => {
      work.pending++
      let ended = false
      return () => void (!ended && (ended = true) && work.pending--)
    }
    const track = (target: any, name: string) => {
      const original = target[name]
      target[name] = function (this: unknown, ...args: unknown[]) {
        const end = started()
        const promise = Promise.resolve(original.apply(this, args))
        promise.then(end, end)
        return promise
      }
    }
    for (const name of ['verify', 'sign', 'digest', 'importKey', 'exportKey', 'generateKey'])
      track(SubtleCrypto.prototype, name)
    track(window, 'fetch')
    track(LockManager.prototype, 'request')
    const until = <T extends EventTarget>(target: T, events: string[]) => {
      const end = started()
      for (const event of events) target.addEventListener(event, end)
      return target
    }
    const { open } = IDBFactory.prototype
    IDBFactory.prototype.open = function (...args) {
      return until(open.apply(this, args), ['success', 'error'])
    }
    const { transaction } = IDBDatabase.prototype
    IDBDatabase.prototype.transaction = function (...args) {
      return until(transaction.apply(this, args), ['complete', 'abort'])
    }
    const Channel = BroadcastChannel
    window.BroadcastChannel = class extends Channel {
      constructor(name: string) {
        super(name)
        this.addEventListener('message', () => work.received++)
      }
      override postMessage(message: unknown) {
        work.posted++
        super.postMessage(message)
      }
    }
  })
}

interface WorkCounts {
  pending: number
  posted: number
  received: number
}

/** What each page counted so far (see `countAsyncWork`). */
export const workCounts = (pages: Page[]): Promise<WorkCounts[]> =>
  Promise.all(pages.map((page) => page.evaluate(() => ({ ...(window as any).__work }))))

/**
 * Waits until, in pages whose context counts their work (`countAsyncWork`), each page has
 * received every message the others sent since `since` (counts taken when no message was on
 * its way) and none has work in flight, twice in a row: what a message or a finished step
 * could still set off has then happened. Each page must hold one channel (one client).
 */
export async function quiet(pages: Page[], since: WorkCounts[]) {
  const isQuiet = async () => {
    const now = await workCounts(pages)
    const sent = now.map((page, i) => page.posted - since[i].posted)
    const total = sent.reduce((sum, count) => sum + count, 0)
    return now.every(
      (page, i) => page.pending === 0 && page.received - since[i].received === total - sent[i],
    )
  }
  await until(async () => (await isQuiet()) && isQuiet(), 'the tabs are quiet')
}

// Holds the provider's answer to the next refresh until `release()`; `arrived` settles once
// the refresh request is at the provider.
export function holdRefresh(op: TestProvider) {
  let arrived!: () => void
  let release!: () => void
  const held = {
    arrived: new Promise<void>((resolve) => (arrived = resolve)),
    release: () => release(),
  }
  const released = new Promise<void>((resolve) => (release = resolve))
  op.rewriteTokenResponse = async (body, grantType) => {
    if (grantType !== 'refresh_token') return body
    arrived()
    await released
    return body
  }
  return held
}

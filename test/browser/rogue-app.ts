// Tabs of the test app against the misbehaving provider, with the page-side levers the session
// tests pull: a slowed or failing IndexedDB, held provider answers, and the page clock.
import assert from 'node:assert/strict'
import { after, before, beforeEach } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchBrowser, newLoopbackContext } from '../support/browser.js'
import { startRogueProvider, type RogueProvider } from '../support/rogue-provider.js'
import { startStaticServer, type StaticServer } from '../support/static-server.js'
import { newApp, ready, recordKey, refreshLock, storedRecords } from './app.js'

export interface RogueHarness {
  browser: Browser
  server: StaticServer
  rogue: RogueProvider
  iife: string
}

export async function startRogueHarness(
  options: Parameters<typeof startRogueProvider>[0] = {},
  browserOptions: Parameters<typeof launchBrowser>[0] = {},
): Promise<RogueHarness> {
  const browser = await launchBrowser(browserOptions)
  const server = await startStaticServer({ '/pages/': 'test/browser/pages', '/dist/': 'dist' })
  const rogue = await startRogueProvider(options)
  return { browser, server, rogue, iife: `${server.origin}/pages/iife.html` }
}

/**
 * The harness of one test file: started before its tests, stopped after them, and the provider
 * set back before each test (no faults, one-hour tokens, its first key).
 */
export function useRogueHarness(...options: Parameters<typeof startRogueHarness>): RogueHarness {
  const harness = {} as RogueHarness
  before(async () => Object.assign(harness, await startRogueHarness(...options)))
  after(() => stopRogueHarness(harness))
  beforeEach(() => {
    harness.rogue.faults = {}
    harness.rogue.accessTokenTtl = 3600
    harness.rogue.signWith(harness.rogue.key)
  })
  return harness
}

export async function stopRogueHarness(harness: Partial<RogueHarness>) {
  await harness.browser?.close()
  await harness.server?.close()
  await harness.rogue?.close()
}

/**
 * A context whose pages use the rogue provider, with IndexedDB levers installed in each page:
 * `__failWrites` makes put and delete throw, as a full or broken disk would; `__idbLog` lists
 * `mode key` of every read; while `__holdKeyReads` is a promise, reads of the cached JWKS
 * answer only once it resolves (`__heldKeyReads` counts them).
 */
export async function rogueContext(
  harness: RogueHarness,
  { httpCache = false } = {},
): Promise<BrowserContext> {
  // Playwright turns the HTTP cache off in a context that routes requests; the browser's own
  // host-resolver rule keeps one that does not on loopback all the same.
  const context = httpCache
    ? await harness.browser.newContext()
    : await newLoopbackContext(harness.browser)
  await context.addInitScript((issuer) => {
    // tsx keeps function names with a helper the page lacks: functions passed to evaluate need it.
    ;(window as any).__name = (fn: unknown) => fn
    const w = window as any
    w.__testConfig = { issuer }
    // Kept per tab across navigations, so a test can break storage for one tab's whole life.
    w.__failWrites = sessionStorage.getItem('failWrites') === 'yes'
    w.__idbLog = []
    w.__heldKeyReads = 0
    const { get, put, delete: del } = IDBObjectStore.prototype
    IDBObjectStore.prototype.get = function (this: IDBObjectStore, key: IDBValidKey) {
      w.__idbLog.push(`${this.transaction.mode} ${String(key)}`)
      const request = get.call(this, key)
      if (!w.__holdKeyReads || !String(key).endsWith('jwks')) return request
      // A request whose answer comes late: what idb-keyval's promisifyRequest listens to.
      const late: any = {}
      const hold = w.__holdKeyReads
      w.__heldKeyReads++
      request.onsuccess = () =>
        hold.then(() => ((late.result = request.result), late.onsuccess?.()))
      request.onerror = () => hold.then(() => ((late.error = request.error), late.onerror?.()))
      return late
    }
    const failing = (original: any) =>
      function (this: IDBObjectStore, ...args: unknown[]) {
        if (w.__failWrites) throw new DOMException('the disk refused', 'QuotaExceededError')
        return original.apply(this, args)
      }
    IDBObjectStore.prototype.put = failing(put)
    IDBObjectStore.prototype.delete = failing(del)
  }, harness.rogue.issuer)
  return context
}

/** A tab of the app, once its `init()` or callback settled. */
export async function openTab(
  harness: RogueHarness,
  context: BrowserContext,
  client?: Record<string, unknown>,
): Promise<Page> {
  const page = await newApp(context, harness.iife, client)
  await ready(page)
  return page
}

/** Logs the tab in as `sub` (the rogue provider answers at once, with no login page). */
export async function loginAs(page: Page, sub = 'alice') {
  await Promise.all([
    page.waitForNavigation(),
    page.evaluate((sub) => void window.client.login({ loginHint: sub }), sub),
  ])
  const result = await ready(page)
  assert.equal(result.ok, true, JSON.stringify(result))
  return result
}

/** What a tab shows and serves: its state's status, `sub` and error, and the token it would serve. */
export async function seen(page: Page) {
  // Not waitForFunction: it polls on page timers, which a paused page clock stops.
  await page.waitForLoadState('load')
  return page.evaluate(async () => {
    await window.ready
    const state = window.client.getState()
    const token = await window.client.getAccessToken().then(
      (token: string) => token,
      (error: any) => `error:${error.code}`,
    )
    return {
      status: state.status as string,
      sub: (state.claims?.sub ?? null) as string | null,
      error: state.error
        ? `${state.error.code}${state.error.reason ? `/${state.error.reason}` : ''}`
        : null,
      token: token as string,
    }
  })
}

/** The token `getAccessToken()` gives in the tab, or `error:<code>`. */
export const tokenOf = (page: Page): Promise<string> =>
  page.evaluate(() =>
    window.client.getAccessToken().then(
      (token: string) => token,
      (error: any) => `error:${error.code}`,
    ),
  )

/** `ok` when `getAccessToken()` gives a token (refreshing when due), else the error's code. */
export const refresh = async (page: Page) =>
  (await tokenOf(page)).replace(/^(?!error:).*/, 'ok').replace('error:', '')

/** The stored session record of the client `spa` of `issuer`, if any. */
export const storedSession = async (page: Page, issuer: string) =>
  (await storedRecords(page))[recordKey(issuer, 'session')]

/** Resolves once no refresh holds the tabs' lock (so any refresh the page started is over). */
export const refreshSettled = (page: Page, issuer: string) =>
  page.evaluate((name) => navigator.locks.request(name, async () => {}), refreshLock(issuer))

/**
 * Holds every IndexedDB request of the page's origin behind a read-write transaction that the
 * page keeps busy until the returned function releases it.
 */
export async function blockStorage(page: Page): Promise<() => Promise<void>> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('oidc-browser')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const store = open.result.transaction('kv', 'readwrite').objectStore('kv')
          const w = window as any
          w.__released = false
          const spin = () => {
            if (w.__released) open.result.close()
            else store.get('busy').onsuccess = spin
          }
          spin()
          resolve()
        }
      }),
  )
  return () => page.evaluate(() => void ((window as any).__released = true))
}

/**
 * Waits, by polling from the test, until `condition()` holds. Unlike `page.waitForFunction`,
 * it works while the page clock is paused.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** A gate a test opens: `hold` for the provider's `faults.hold`, `open` to let answers go. */
export function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  let waiting = 0
  return { opened, open, hold: () => (waiting++, opened), waiting: () => waiting }
}

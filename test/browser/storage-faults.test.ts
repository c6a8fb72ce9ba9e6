// Storage that refuses or hangs: a logout cannot come back, and a write reported as failed never
// lands later.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ready } from './app.js'
import {
  blockStorage,
  gate,
  loginAs,
  openTab,
  rogueContext,
  seen,
  useRogueHarness,
  storedSession,
  until,
} from './rogue-app.js'

const harness = useRogueHarness()

/** A tab, its page clock paused, that logged in and out (locally): discovery and keys known. */
async function signedOutAfterALogin() {
  const context = await rogueContext(harness)
  await context.clock.install()
  await context.clock.pauseAt(Date.now() + 1000)
  const page = await openTab(harness, context)
  await loginAs(page)
  await page.evaluate(() => window.client.logout({ localOnly: true }))
  return { context, page }
}

describe('a logout whose IndexedDB delete fails (defect 5)', { timeout: 60_000 }, () => {
  test('still ends the session for good and goes to the provider, with a state (defect 19)', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    await loginAs(page)
    // From now on this tab's IndexedDB refuses every write, across reloads.
    await page.evaluate(() => {
      sessionStorage.setItem('failWrites', 'yes')
      ;(window as any).__failWrites = true
    })
    const logouts = harness.rogue.logouts.length
    await Promise.all([
      page.waitForEvent('framenavigated', {
        predicate: (frame) => frame === page.mainFrame() && frame.url() === harness.iife,
      }),
      page.evaluate(() => void window.client.logout()),
    ])
    assert.equal(
      harness.rogue.logouts.length,
      logouts + 1,
      'the provider was asked to end its session',
    )
    assert.match(harness.rogue.logouts.at(-1) ?? '', /^[\w-]{43}$/, 'with a random state')
    // Back from the provider: the record is still there (the delete keeps failing), yet it is
    // not restored, here or in any other tab.
    assert.ok(await storedSession(page, harness.rogue.issuer), 'the record could not be deleted')
    assert.equal((await seen(page)).status, 'signedOut')
    await page.reload()
    assert.equal((await seen(page)).status, 'signedOut')
    const other = await openTab(harness, context)
    assert.equal((await seen(other)).status, 'signedOut')
    // A tab whose storage works deletes the left-over record.
    assert.equal(await storedSession(other, harness.rogue.issuer), undefined)
    // A new login is not covered by the old logout.
    await loginAs(other, 'bob')
    await other.reload()
    assert.equal((await seen(other)).sub, 'bob')
    await context.close()
  })
})

describe('a session write that times out (defect 6)', { timeout: 60_000 }, () => {
  test('is aborted: the callback reports storage_error, and the write never lands', async () => {
    // Discovery and keys cached first, so that the callback's only write is the session's.
    const { context, page } = await signedOutAfterALogin()
    const tokenAnswer = gate()
    harness.rogue.faults = { hold: (path) => (path === '/token' ? tokenAnswer.hold() : undefined) }
    try {
      await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
      await until(() => tokenAnswer.waiting() > 0, 'the token request is held')
      const logged = (pattern: RegExp) => () =>
        page.evaluate(
          (source) => (window as any).__idbLog.some((e: string) => new RegExp(source).test(e)),
          pattern.source,
        )
      // A read-write transaction starts only after those created before it: once the cached
      // keys' read (with the login transaction's take) is under way, the block holds nothing but
      // what comes after.
      await until(logged(/^read\w+ .*jwks$/), 'the callback reads the cached keys')
      const release = await blockStorage(page)
      tokenAnswer.open()
      await until(logged(/^readwrite .*session$/), 'the session write waits for storage')
      await context.clock.runFor(5000)
      await release()
      const result = await ready(page)
      assert.equal(result.code, 'storage_error')
      assert.equal((await seen(page)).error, 'storage_error')
      assert.equal(await storedSession(page, harness.rogue.issuer), undefined)
      await page.reload()
      assert.equal((await seen(page)).status, 'signedOut', 'a reload finds no session')
    } finally {
      harness.rogue.faults = {}
      tokenAnswer.open()
      await context.close()
    }
  })
})

describe('storage that opens only after the deadline', { timeout: 60_000 }, () => {
  test('the write never starts: the login reports storage_error and nothing is written', async () => {
    // Discovery in memory, so that the login's first storage call is its transaction's write.
    const { context, page } = await signedOutAfterALogin()
    // Another page upgrades the database and holds the upgrade open: this tab lets its
    // connection go, and its next open waits until the upgrade ends.
    const holder = await context.newPage()
    await holder.goto(new URL('/pages/elsewhere.html', page.url()).href)
    await holder.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const w = window as any
          const open = indexedDB.open('oidc-browser', 99)
          open.onupgradeneeded = () => {
            const store = open.transaction!.objectStore('kv')
            const spin = () => void (w.__released || (store.count().onsuccess = spin))
            spin()
            resolve()
          }
        }),
    )
    const writesBefore = await page.evaluate(() => (window as any).__idbLog.length)
    await page.evaluate(() => {
      const w = window as any
      w.__opening = w.__opened = 0
      const open = indexedDB.open.bind(indexedDB)
      indexedDB.open = (...args: Parameters<IDBFactory['open']>) => {
        w.__opening++
        const request = open(...args)
        request.addEventListener('success', () => w.__opened++)
        return request
      }
      w.__login = window.client.login().then(
        () => 'navigated',
        (error: any) => error.code,
      )
    })
    const counted = (name: string) => () => page.evaluate((name) => (window as any)[name] > 0, name)
    await until(counted('__opening'), 'the login opens storage')
    await context.clock.runFor(5000)
    assert.equal(await page.evaluate(() => (window as any).__login), 'storage_error')
    await holder.evaluate(() => void ((window as any).__released = true))
    await until(counted('__opened'), 'the open went through')
    // What the open set off has run by the next task (a message: the page clock is paused).
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          const { port1, port2 } = new MessageChannel()
          port1.onmessage = resolve
          port2.postMessage(0)
        }),
    )
    const log = await page.evaluate(() => (window as any).__idbLog)
    assert.deepEqual(log.slice(writesBefore), [])
    await context.close()
  })
})

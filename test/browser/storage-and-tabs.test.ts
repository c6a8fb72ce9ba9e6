import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SignJWT, decodeJwt, importJWK } from 'jose'
import type { BrowserContext, Page } from 'playwright-core'
import { newLoopbackContext } from '../support/browser.js'
import type { TestProvider } from '../support/provider.js'
import {
  editRecord,
  logIn,
  makeTokensExpiring,
  newApp,
  ready,
  signedInTabs,
  startHarness,
  stopHarness,
  storedKeys,
  storedRecords,
  type Harness,
  recordKey,
  refreshLock,
} from './app.js'

// A short access-token lifetime, so that tokens start expiring after half of it (45 s).
const accessTokenTtl = 90

let harness: Harness
let op: TestProvider
let iife: string

before(async () => ({ op, iife } = harness = await startHarness({ accessTokenTtl })))
after(() => stopHarness(harness))

const grants = () => op.requests.filter((request) => request === 'POST /token').length
const sessionKey = () => recordKey(op.issuer, 'session')
const eventTypes = (page: Page) => page.evaluate(() => window.events.map((event) => event.type))
async function waitForStatus(pages: Page[], status: string) {
  for (const page of pages) {
    await page.waitForFunction((status) => window.client.getState().status === status, status, {
      timeout: 5000,
    })
  }
}

// A refresh runs under the tab lock from the moment it starts: once the lock is free, any
// refresh the page started is over.
const settled = (page: Page) =>
  page.evaluate((name) => navigator.locks.request(name, async () => {}), refreshLock(op.issuer))

const status = (page: Page) => page.evaluate(() => window.client.getState().status)

async function newContext(): Promise<BrowserContext> {
  const context = await newLoopbackContext(harness.browser)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), op.issuer)
  return context
}

/** Every record of oidc-browser's IndexedDB store, as one JSON string. */
const storedJson = async (page: Page) => JSON.stringify(Object.values(await storedRecords(page)))

const readRecord = async (page: Page, key: string) => (await storedRecords(page))[key]

// Room for the app's records, and little more: another database of the origin fills the rest.
const smallQuota = 2_000_000

/**
 * The app in a new context whose origin has a small storage quota (DevTools protocol). Chromium
 * honours the override only when it comes before the origin first touches storage in the
 * context, and only while the DevTools session that sent it stays attached: sent later, or from
 * a session since detached, it has no effect. `navigator.storage.estimate()` does not show it,
 * but writes obey it.
 */
async function appWithSmallQuota(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext()
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: harness.app.origin,
    quotaSize: smallQuota,
  })
  await page.goto(iife)
  return { context, page }
}

/** Fills the origin's quota with another database, as another part of the app would. */
async function fillStorage(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('filler')
      open.onupgradeneeded = () => open.result.createObjectStore('blobs')
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    // Chunks of falling size, each until one is refused, so that hardly any room is left.
    let outcome = ''
    let writes = 0
    for (let size = 100_000; size >= 16 && writes < 300; size = Math.floor(size / 4)) {
      for (let refused = false; !refused && writes < 300; writes++) {
        const chunk = new Uint8Array(size)
        for (let at = 0; at < size; at += 65_536)
          crypto.getRandomValues(chunk.subarray(at, at + 65_536))
        const error = await new Promise<string>((resolve) => {
          const tx = db.transaction('blobs', 'readwrite')
          tx.objectStore('blobs').put(chunk, writes)
          tx.oncomplete = () => resolve('')
          tx.onabort = () => resolve(tx.error?.name ?? 'aborted')
        })
        if (error) [outcome, refused] = [error, true]
      }
    }
    db.close()
    return outcome
  })
}

function freeStorage(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase('filler')
        request.onsuccess = () => resolve()
        request.onerror = () => reject(request.error)
      }),
  )
}

describe('when IndexedDB is over its quota', { timeout: 60_000 }, () => {
  test('login throws storage_error before navigating, and leaves no transaction', async () => {
    const { context, page } = await appWithSmallQuota()
    assert.equal((await ready(page)).state?.status, 'signedOut')
    assert.equal(await fillStorage(page), 'QuotaExceededError')
    const outcome = await page.evaluate(() =>
      window.client.login().then(
        () => 'navigated',
        (error: any) => ({ code: error.code, isOidcError: window.lib.isOidcError(error) }),
      ),
    )
    assert.deepEqual(outcome, { code: 'storage_error', isOidcError: true })
    assert.equal(page.url(), iife, 'still on the app')
    assert.ok(!(await storedKeys(page)).some((key) => key.includes(']tx:')), 'no transaction')
    // The same login goes through once there is room again: it was the quota.
    await freeStorage(page)
    assert.equal((await logIn(page)).ok, true)
    await context.close()
  })

  test('a refreshed session that cannot be stored stays in memory; the spent refresh token leaves storage', async () => {
    const { context, page: tab } = await appWithSmallQuota()
    await context.clock.install()
    await ready(tab)
    assert.equal((await logIn(tab)).ok, true)
    await context.clock.pauseAt(Date.now() + 1000)
    const stored = await readRecord(tab, sessionKey())
    assert.equal(typeof stored.refreshToken, 'string')
    await makeTokensExpiring(context, tab)
    assert.equal(await fillStorage(tab), 'QuotaExceededError')
    const before = grants()
    const token = await tab.evaluate(() => window.client.getAccessToken())
    assert.equal(grants() - before, 1)
    assert.notEqual(token, stored.accessToken)
    assert.equal(await status(tab), 'signedIn')
    assert.ok(
      (await tab.evaluate(() => window.events)).some(
        (event) => event.type === 'error' && event.code === 'storage_error',
      ),
      'the failed write is reported as an error event',
    )
    assert.ok(!(await storedKeys(tab)).includes(sessionKey()), 'the spent refresh token is gone')
    // This tab holds the new tokens in memory: no second request.
    assert.equal(await tab.evaluate(() => window.client.getAccessToken()), token)
    assert.equal(grants() - before, 1)
    // With room again, the session held in memory refreshes with its unspent refresh token and
    // is stored again.
    await freeStorage(tab)
    await makeTokensExpiring(context, tab)
    const next = await tab.evaluate(() => window.client.getAccessToken())
    assert.notEqual(next, token)
    assert.equal((await readRecord(tab, sessionKey()))?.accessToken, next)
    assert.equal(await status(tab), 'signedIn')
    await context.close()
  })
})

describe('stored records of another version or shape', { timeout: 60_000 }, () => {
  let context: BrowserContext
  let page: Page
  before(async () => {
    context = await newContext()
    page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
  })
  after(() => context.close())

  test('a session record of version 1, of no version, or of a later version 3 is deleted on init', async () => {
    const original = await readRecord(page, sessionKey())
    assert.equal(original.v, 2)
    const { v: _, ...unversioned } = original
    for (const [name, record] of [
      ['v: 1', { ...original, v: 1 }],
      ['no v', unversioned],
      ['v: 3', { ...original, v: 3 }],
    ]) {
      await editRecord(page, sessionKey(), `return ${JSON.stringify(record)}`)
      await page.reload()
      const result = await ready(page)
      assert.equal(result.state?.status, 'signedOut', name)
      assert.equal(result.state?.error, undefined, name)
      assert.ok(!(await storedKeys(page)).includes(sessionKey()), `${name}: record deleted`)
      assert.ok(!(await eventTypes(page)).includes('signedin'), name)
    }
    // The same record as version 2 restores: the version alone made the difference.
    await editRecord(page, sessionKey(), `return ${JSON.stringify(original)}`)
    await page.reload()
    assert.equal((await ready(page)).state?.status, 'signedIn')
  })

  test('cached discovery and JWKS records of a wrong shape are fetched again', async () => {
    const variants: [string, string][] = [
      ['discovery', 'return null'],
      ['discovery', "return { fetchedAt: 'now', value: record.value }"],
      [
        'discovery',
        'return { fetchedAt: record.fetchedAt, value: { issuer: record.value.issuer } }',
      ],
      [
        'discovery',
        'return { fetchedAt: record.fetchedAt, value: { ...record.value, token_endpoint: 42 } }',
      ],
      ['jwks', "return 'keys'"],
      ['jwks', 'return { fetchedAt: record.fetchedAt, value: { keys: record.value } }'],
      ['jwks', 'return { fetchedAt: record.fetchedAt }'],
    ]
    for (const [name, edit] of variants) {
      const key = recordKey(op.issuer, name)
      const good = await readRecord(page, key)
      await editRecord(page, key, edit)
      op.requests.length = 0
      await page.reload()
      const result = await ready(page)
      assert.equal(result.state?.status, 'signedIn', `${name}: ${edit}`)
      const fetched = name === 'discovery' ? 'GET /.well-known/openid-configuration' : 'GET /jwks'
      assert.ok(op.requests.includes(fetched), `${name}: ${edit}: fetched again`)
      assert.deepEqual((await readRecord(page, key)).value, good.value, 'and cached again')
    }
  })

  test('a login transaction of a wrong shape is invalid_callback, deleted, and no code is exchanged', async () => {
    for (const edit of [
      'return { ...record, nonce: 42 }',
      'return { ...record, codeVerifier: undefined }',
      'return { ...record, createdAt: String(record.createdAt) }',
      "return { ...record, returnTo: ['/'] }",
      "return 'transaction'",
    ]) {
      const state = new URL(
        await page.evaluate(() => window.client.createLoginUrl()),
      ).searchParams.get('state')
      const key = recordKey(op.issuer, `tx:${state}`)
      await editRecord(page, key, edit)
      op.requests.length = 0
      await page.goto(`${iife}?code=abc&state=${state}&iss=${encodeURIComponent(op.issuer)}`)
      const result = await ready(page)
      assert.equal(result.code, 'invalid_callback', edit)
      assert.ok(!op.requests.includes('POST /token'), `${edit}: no token request`)
      assert.ok(!(await storedKeys(page)).includes(key), `${edit}: transaction deleted`)
    }
  })
})

describe('a subscriber that logs out during the signedin notification', { timeout: 60_000 }, () => {
  test('logout({ localOnly: true }): the other listeners still run, the state ends signedOut, nothing escapes, no loop', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    const other = await newApp(context, iife)
    assert.equal((await ready(other)).state?.status, 'signedIn')
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // A second client on the page restores the stored session: its signedin notification is
    // where the first subscriber logs out.
    await page.evaluate(async () => {
      const client = window.makeClient({})
      const seen: string[] = []
      client.subscribe((state: { status: string }) => {
        seen.push(`first:${state.status}`)
        if (state.status === 'signedIn') void client.logout({ localOnly: true })
      })
      client.subscribe((state: { status: string }) => seen.push(`second:${state.status}`))
      for (const type of ['signedin', 'signedout'])
        client.addEventListener(type, () => seen.push(`event:${type}`))
      Object.assign(window, { seen, second: client })
      await client.init()
    })
    await page.waitForFunction(() => (window as any).second.getState().status === 'signedOut')
    // Time for a loop to show, if there were one.
    await page.waitForTimeout(300)
    const seen = await page.evaluate(() => (window as any).seen)
    assert.deepEqual(seen, [
      'first:signedIn',
      'second:signedIn',
      'event:signedin',
      'first:signedOut',
      'second:signedOut',
      'event:signedout',
    ])
    assert.deepEqual(pageErrors, [])
    // The restore that was under way did not bring the tokens back after the logout.
    assert.equal(
      await page.evaluate(() =>
        (window as any).second.getAccessToken().catch((error: any) => error.code),
      ),
      'login_required',
    )
    // The logout reached the page's own client and the other tab.
    await waitForStatus([page, other], 'signedOut')
    assert.ok(!(await storedKeys(page)).includes(sessionKey()))
    await context.close()
  })

  test('a logout during the notification of a refresh: the refreshed tokens are not stored, every tab ends signedOut', async () => {
    const { context, tabs } = await signedInTabs(harness, 2)
    await tabs[0].evaluate(() =>
      window.client.subscribe((state: { status: string }) => {
        if (state.status === 'signedIn') void window.client.logout({ localOnly: true })
      }),
    )
    await makeTokensExpiring(context, tabs[0])
    await tabs[0].evaluate(() => window.client.getAccessToken())
    await waitForStatus(tabs, 'signedOut')
    await settled(tabs[0])
    assert.ok(!(await storedKeys(tabs[0])).includes(sessionKey()), 'no session in storage')
    assert.equal(await status(tabs[1]), 'signedOut')
    const fresh = await newApp(context, iife)
    assert.equal((await ready(fresh)).state?.status, 'signedOut')
    await context.close()
  })

  test('logout(): the same, then the page goes to the provider to end its session', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // What the listeners see must survive the navigation: they report it to the test directly.
    const seen: string[] = []
    await page.exposeFunction('report', (entry: string) => void seen.push(entry))
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${op.issuer}/session/end`)),
      page.evaluate(() => {
        const report = (window as any).report as (entry: string) => void
        const client = window.makeClient({})
        client.subscribe((state: { status: string }) => {
          report(`first:${state.status}`)
          if (state.status === 'signedIn') void client.logout()
        })
        client.subscribe((state: { status: string }) => report(`second:${state.status}`))
        void client.init()
      }),
    ])
    assert.deepEqual(seen, [
      'first:signedIn',
      'second:signedIn',
      'first:signedOut',
      'second:signedOut',
    ])
    assert.deepEqual(pageErrors, [])
    const fresh = await newApp(context, iife)
    assert.equal((await ready(fresh)).state?.status, 'signedOut')
    await context.close()
  })
})

describe('visibility and network re-checks', { timeout: 60_000 }, () => {
  /**
   * Headless Chromium under Playwright shows every page as visible: bringToFront, a minimised
   * window (Browser.setWindowBounds), focus emulation off, a background target and the frozen
   * lifecycle state all leave `document.visibilityState` at 'visible'. So the page's visibility
   * is overridden and `visibilitychange` dispatched, as the browser would on a tab switch.
   */
  const setHidden = (page: Page, hidden: boolean) =>
    page.evaluate(`
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => '${hidden ? 'hidden' : 'visible'}',
      })
      document.dispatchEvent(new Event('visibilitychange'))
    `)

  const runToExpiring = async (context: BrowserContext, page: Page) => {
    const { expiresAt } = await page.evaluate(() => window.client.getState())
    // Just past the expiring point (45 s before expiry here), short of expiry.
    await context.clock.runFor(
      (expiresAt - (await page.evaluate(() => Date.now())) / 1000 - 44) * 1000,
    )
  }

  test('a hidden tab does not refresh by itself; it does when it shows again', async () => {
    const { context, tabs } = await signedInTabs(harness, 1)
    const [tab] = tabs
    await setHidden(tab, true)
    const before = grants()
    await runToExpiring(context, tab)
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'expiring'))
    await settled(tab)
    assert.equal(grants() - before, 0, 'no token request while hidden')
    assert.ok(!(await eventTypes(tab)).includes('refreshed'))
    await setHidden(tab, false)
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'refreshed'))
    assert.equal(grants() - before, 1)
    await context.close()
  })

  test('a visible tab refreshes by itself while a hidden one waits; the hidden one takes its result', async () => {
    const { context, tabs } = await signedInTabs(harness, 2)
    const [visible, hidden] = tabs
    await setHidden(hidden, true)
    const before = grants()
    await runToExpiring(context, visible)
    await visible.waitForFunction(() => window.events.some((event) => event.type === 'refreshed'))
    await hidden.waitForFunction(() => window.events.some((event) => event.type === 'refreshed'))
    assert.equal(grants() - before, 1)
    const token = await visible.evaluate(() => window.client.getAccessToken())
    assert.equal(await hidden.evaluate(() => window.client.getAccessToken()), token)
    await context.close()
  })

  test('a refresh that failed offline is tried again when the network comes back', async () => {
    const { context, tabs } = await signedInTabs(harness, 1)
    const [tab] = tabs
    await context.setOffline(true)
    const before = grants()
    await runToExpiring(context, tab)
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'error'))
    assert.equal(
      await tab.evaluate(() => window.events.find((event) => event.type === 'error')?.code),
      'token_error',
    )
    assert.equal(await status(tab), 'signedIn')
    assert.equal(grants() - before, 0)
    // Back online: the browser fires `online`, and the tab refreshes without being asked.
    await context.setOffline(false)
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'refreshed'))
    assert.equal(grants() - before, 1)
    await context.close()
  })

  test('online and visibilitychange do nothing while the token is not expiring', async () => {
    const { context, tabs } = await signedInTabs(harness, 1)
    const [tab] = tabs
    const before = grants()
    await context.setOffline(true)
    await context.setOffline(false)
    await setHidden(tab, true)
    await setHidden(tab, false)
    await settled(tab)
    assert.equal(grants() - before, 0)
    assert.ok(!(await eventTypes(tab)).includes('refreshed'))
    await context.close()
  })
})

describe('a refreshed ID token for another user (Core 12.2)', { timeout: 60_000 }, () => {
  test('ends the session with id_token_invalid in every tab, and nothing of it is stored', async () => {
    const { context, tabs } = await signedInTabs(harness, 2)
    // The provider answers the refresh with an ID token it signed for another user.
    const key = await importJWK(op.signingKey, 'RS256')
    const issued: string[] = []
    op.rewriteTokenResponse = async (body, grantType) => {
      if (grantType !== 'refresh_token') return body
      const claims = decodeJwt(body.id_token as string)
      const idToken = await new SignJWT({ ...claims, sub: 'mallory' })
        .setProtectedHeader({ alg: 'RS256', kid: op.signingKey.kid! })
        .sign(key)
      issued.push(idToken, body.access_token as string, body.refresh_token as string)
      return { ...body, id_token: idToken }
    }
    try {
      await makeTokensExpiring(context, tabs[0])
      const error = await tabs[0].evaluate(() =>
        window.client.getAccessToken().then(
          () => undefined,
          (error: any) => ({ code: error.code, reason: error.reason }),
        ),
      )
      assert.deepEqual(error, { code: 'id_token_invalid', reason: 'sub' })
    } finally {
      delete op.rewriteTokenResponse
    }
    assert.equal(issued.length, 3, 'the provider did answer the refresh')
    await waitForStatus(tabs, 'signedOut')
    for (const tab of tabs) {
      assert.equal(
        await tab.evaluate(() => window.client.getState().error?.code),
        'id_token_invalid',
      )
      const stored = await storedJson(tab)
      assert.ok(!(await storedKeys(tab)).includes(sessionKey()), 'the session record is gone')
      for (const token of issued)
        assert.ok(!stored.includes(token), 'nothing of the response is stored')
    }
    await context.close()
  })
})

describe(
  'another tab ends or replaces the session while this tab refreshes',
  { timeout: 60_000 },
  () => {
    // Holds the provider's answer to the next refresh until `release()`; `arrived` settles once
    // the refresh request is at the provider.
    function holdRefresh() {
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

    test('a logout in the other tab: the refreshed tokens are not stored and no tab is signed in again', async () => {
      const { context, tabs } = await signedInTabs(harness, 2)
      await makeTokensExpiring(context, tabs[0])
      const held = holdRefresh()
      try {
        const refreshing = tabs[0].evaluate(() =>
          window.client.getAccessToken().then(
            () => 'signedIn',
            (error: any) => error.code,
          ),
        )
        await held.arrived
        await tabs[1].evaluate(() => window.client.logout({ localOnly: true }))
        await waitForStatus(tabs, 'signedOut')
        held.release()
        assert.equal(await refreshing, 'login_required')
      } finally {
        delete op.rewriteTokenResponse
      }
      await settled(tabs[0])
      assert.ok(!(await storedKeys(tabs[0])).includes(sessionKey()), 'no session in storage')
      // Time for a `refreshed` message to reach the other tab, if one were sent.
      await tabs[1].waitForTimeout(300)
      for (const tab of tabs) assert.equal(await status(tab), 'signedOut')
      const fresh = await newApp(context, iife)
      assert.equal((await ready(fresh)).state?.status, 'signedOut')
      await context.close()
    })

    test('a new login in the other tab: this tab takes its session, and the refreshed tokens are not stored', async () => {
      const { context, tabs } = await signedInTabs(harness, 2)
      await makeTokensExpiring(context, tabs[0])
      const held = holdRefresh()
      let refreshed: string
      try {
        const refreshing = tabs[0].evaluate(() => window.client.getAccessToken())
        await held.arrived
        assert.equal(
          (await logIn(tabs[1], { login: 'bob', prompt: 'login' })).state?.status,
          'signedIn',
        )
        held.release()
        refreshed = await refreshing
      } finally {
        delete op.rewriteTokenResponse
      }
      await settled(tabs[0])
      const stored = await readRecord(tabs[1], sessionKey())
      assert.equal(refreshed, stored.accessToken, "this tab's token is the new login's")
      for (const tab of tabs)
        assert.equal(await tab.evaluate(() => window.client.getState().claims?.sub), 'bob')
      await context.close()
    })

    test("a logout while a third tab verifies the other tab's refreshed session: that tab stays signed out", async () => {
      const { context, tabs } = await signedInTabs(harness, 3)
      const [refresher, leaver, watcher] = tabs
      // The watcher's WebCrypto answers only when the test says so: its takeover of the
      // refreshed session is still verifying when the logout arrives.
      await watcher.evaluate(() => {
        const verify = crypto.subtle.verify.bind(crypto.subtle)
        const gate = new Promise((resolve) => Object.assign(window, { openGate: resolve }))
        crypto.subtle.verify = async (...args: Parameters<SubtleCrypto['verify']>) => {
          Object.assign(window, { verifying: true })
          await gate
          return verify(...args)
        }
      })
      await makeTokensExpiring(context, refresher)
      await refresher.evaluate(() => window.client.getAccessToken())
      await watcher.waitForFunction(() => (window as any).verifying === true)
      await leaver.evaluate(() => window.client.logout({ localOnly: true }))
      await waitForStatus(tabs, 'signedOut')
      await watcher.evaluate(() => (window as any).openGate())
      // Time for the takeover to finish, and to show if it signed the tab in again.
      await watcher.waitForTimeout(300)
      assert.equal(await status(watcher), 'signedOut')
      assert.equal(
        await watcher.evaluate(() =>
          window.client.getAccessToken().catch((error: any) => error.code),
        ),
        'login_required',
      )
      await context.close()
    })
  },
)

describe(
  'a provider that answers a refresh with a token already expired',
  { timeout: 60_000 },
  () => {
    test('is asked once, not again and again by the automatic refresh', async () => {
      const { context, tabs } = await signedInTabs(harness, 1)
      op.rewriteTokenResponse = async (body, grantType) =>
        grantType === 'refresh_token' ? { ...body, expires_in: 0 } : body
      try {
        await makeTokensExpiring(context, tabs[0])
        const before = grants()
        await tabs[0].evaluate(() => window.client.getAccessToken())
        // The expiry timers of the new session fire now; an automatic refresh would follow each.
        for (let i = 0; i < 5; i++) {
          await context.clock.runFor(1000)
          await settled(tabs[0])
        }
        assert.equal(grants() - before, 1)
        assert.equal(await status(tabs[0]), 'signedIn')
      } finally {
        delete op.rewriteTokenResponse
      }
      await context.close()
    })
  },
)

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { newLoopbackContext } from '../support/browser.js'
import type { TestProvider } from '../support/provider.js'
import {
  logIn,
  makeTokensExpiring,
  newApp,
  ready,
  signedInTabs as signedInTabsOf,
  startHarness,
  stopHarness,
  type Harness,
  recordKey,
} from './app.js'

// A short access-token lifetime, so that tokens start expiring after half of it (45 s).
const accessTokenTtl = 90

let browser: Browser
let op: TestProvider
let iife: string
let harness: Harness

before(async () => ({ browser, op, iife } = harness = await startHarness({ accessTokenTtl })))
after(() => stopHarness(harness))

const signedInTabs = (count: number) => signedInTabsOf(harness, count)
const grants = () => op.requests.filter((request) => request === 'POST /token').length

const statuses = (tabs: Page[]) =>
  Promise.all(tabs.map((tab) => tab.evaluate(() => window.client.getState().status)))

async function waitForStatuses(tabs: Page[], status: string) {
  for (const tab of tabs) {
    await tab.waitForFunction((status) => window.client.getState().status === status, status, {
      timeout: 5000,
    })
  }
}

describe('refresh across tabs (rotating refresh tokens)', { timeout: 120_000 }, () => {
  test('8 tabs ask at once, 10 rounds: one refresh grant a round, one token for all', async () => {
    const { context, tabs } = await signedInTabs(8)
    // A spent refresh token presented again is refused with 400 invalid_grant (and the grant revoked).
    const refused = () => op.responses.filter((response) => response === 'POST /token 400').length
    const refusedBefore = refused()
    const perRound: number[] = []
    for (let round = 0; round < 10; round++) {
      await makeTokensExpiring(context, tabs[0])
      const before = grants()
      const tokens = await Promise.all(
        tabs.map((tab) => tab.evaluate(() => window.client.getAccessToken())),
      )
      perRound.push(grants() - before)
      assert.equal(new Set(tokens).size, 1, `round ${round}: every tab got the same access token`)
    }
    assert.deepEqual(perRound, Array(10).fill(1), 'exactly one refresh grant per round')
    assert.equal(refused() - refusedBefore, 0, 'no refresh token was presented twice')
    assert.deepEqual(
      await statuses(tabs),
      Array(8).fill('signedIn'),
      'no grant was revoked for reuse',
    )
    const events = await tabs[3].evaluate(() => window.events.map((event) => event.type))
    assert.ok(events.includes('refreshed'), 'the other tabs heard of the refreshes')
    console.log(
      `8 tabs x 10 rounds: refresh grants per round ${perRound.join(',')}; refused refresh grants ${refused() - refusedBefore}`,
    )
    await context.close()
  })

  test('concurrent calls in one tab share one refresh', async () => {
    const { context, tabs } = await signedInTabs(1)
    await makeTokensExpiring(context, tabs[0])
    const before = grants()
    const tokens = await tabs[0].evaluate(() =>
      Promise.all([1, 2, 3, 4, 5].map(() => window.client.getAccessToken())),
    )
    assert.equal(grants() - before, 1)
    assert.equal(new Set(tokens).size, 1)
    await context.close()
  })

  test('expiring fires before expiry, and the tab refreshes by itself', async () => {
    const { context, tabs } = await signedInTabs(1)
    const [tab] = tabs
    const { expiresAt } = await tab.evaluate(() => window.client.getState())
    const before = grants()
    // Run page time up to just past the expiring point (45 s before expiry here).
    await context.clock.runFor((expiresAt - Date.now() / 1000 - 44) * 1000)
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'refreshed'))
    assert.equal(grants() - before, 1)
    const types = await tab.evaluate(() => window.events.map((event) => event.type))
    assert.ok(types.indexOf('expiring') < types.indexOf('refreshed'), types.join())
    assert.ok((await tab.evaluate(() => window.client.getState().expiresAt)) > expiresAt)
    await context.close()
  })

  test('expired fires at expiry when there is no refresh to be had', async () => {
    const { context, tabs } = await signedInTabs(1)
    const [tab] = tabs
    await tab.route(`${op.issuer}/token`, (route) => route.abort('internetdisconnected'))
    const { expiresAt } = await tab.evaluate(() => window.client.getState())
    await context.clock.runFor((expiresAt - Date.now() / 1000 + 1) * 1000)
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'expired'))
    const types = await tab.evaluate(() => window.events.map((event) => event.type))
    assert.ok(types.includes('expiring') && types.includes('error'), types.join())
    assert.equal(await tab.evaluate(() => window.client.getState().status), 'signedIn')
    await context.close()
  })
})

describe('failures', { timeout: 60_000 }, () => {
  test('a network failure keeps the session and throws token_error', async () => {
    const { context, tabs } = await signedInTabs(2)
    const [tab] = tabs
    const stored = await tab.evaluate(() => window.client.getState().expiresAt)
    await makeTokensExpiring(context, tab)
    await tab.route(`${op.issuer}/token`, (route) => route.abort('internetdisconnected'))
    const code = await tab.evaluate(() =>
      window.client.getAccessToken().catch((error: any) => error.code),
    )
    assert.equal(code, 'token_error')
    assert.deepEqual(await statuses(tabs), ['signedIn', 'signedIn'])
    assert.equal(await tab.evaluate(() => window.client.getState().expiresAt), stored)
    assert.ok(
      (await tab.evaluate(() => window.events.map((event) => event.type))).includes('error'),
    )
    // The network is back: the same refresh token still works.
    await tab.unroute(`${op.issuer}/token`)
    assert.equal(typeof (await tab.evaluate(() => window.client.getAccessToken())), 'string')
    await context.close()
  })

  test('invalid_grant (the grant revoked at the provider) ends the session in every tab', async () => {
    const { context, tabs } = await signedInTabs(3)
    const refreshToken = await readRefreshToken(tabs[0])
    const revoked = await fetch(`${op.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({ token: refreshToken, client_id: 'spa' }),
    })
    assert.equal(revoked.status, 200)
    await makeTokensExpiring(context, tabs[0])
    const code = await tabs[0].evaluate(() =>
      window.client.getAccessToken().catch((error: any) => error.code),
    )
    assert.equal(code, 'login_required')
    await waitForStatuses(tabs, 'signedOut')
    for (const tab of tabs) {
      assert.equal(await tab.evaluate(() => window.client.getState().error?.code), 'login_required')
    }
    assert.equal(await readRefreshToken(tabs[1]).catch(() => 'none'), 'none', 'vault cleared')
    await context.close()
  })
})

describe('tabs in step', { timeout: 60_000 }, () => {
  test('logout in one of 3 tabs reaches the others; a fresh page finds no session', async () => {
    const { context, tabs } = await signedInTabs(3)
    const started = Date.now()
    await tabs[1].evaluate(() => window.client.logout({ localOnly: true }))
    await waitForStatuses(tabs, 'signedOut')
    assert.ok(Date.now() - started < 1000, 'within a second')
    const events = await tabs[2].evaluate(() => window.events.map((event) => event.type))
    assert.ok(events.includes('signedout'))
    const fresh = await newApp(context, iife)
    assert.equal((await ready(fresh)).state?.status, 'signedOut')
    await context.close()
  })

  test('a login in one tab signs in a tab that was open and signed out', async () => {
    const context = await newLoopbackContext(browser)
    await context.addInitScript((issuer) => (window.__testConfig = { issuer }), op.issuer)
    const waiting = await newApp(context, iife)
    assert.equal((await ready(waiting)).state?.status, 'signedOut')
    const other = await newApp(context, iife)
    await ready(other)
    assert.equal((await logIn(other, { login: 'carol' })).ok, true)
    await waitForStatuses([waiting], 'signedIn')
    assert.equal(await waiting.evaluate(() => window.client.getState().claims.sub), 'carol')
    assert.ok(
      (await waiting.evaluate(() => window.events.map((event) => event.type))).includes('signedin'),
    )
    await context.close()
  })
})

describe('logout at the provider', { timeout: 60_000 }, () => {
  test('revokes the refresh token, then goes to end_session with id_token_hint', async () => {
    const { context, tabs } = await signedInTabs(1)
    const [tab] = tabs
    const refreshToken = await readRefreshToken(tab)
    let endSession: URL | undefined
    tab.on('request', (request) => {
      if (request.url().startsWith(`${op.issuer}/session/end`))
        endSession ??= new URL(request.url())
    })
    op.requests.length = 0
    await Promise.all([tab.waitForNavigation(), tab.evaluate(() => void window.client.logout())])
    assert.ok(op.requests.includes('POST /token/revocation'), op.requests.join())
    assert.ok(endSession, 'navigated to the end-session endpoint')
    assert.equal(endSession.searchParams.get('client_id'), 'spa')
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), iife)
    assert.equal(endSession.searchParams.get('id_token_hint')?.split('.').length, 3)
    const refresh = await fetch(`${op.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: 'spa',
      }),
    })
    assert.equal(
      ((await refresh.json()) as { error?: string }).error,
      'invalid_grant',
      'the refresh token is revoked',
    )
    await context.close()
  })
})

/** The refresh token in the tab's IndexedDB record; rejects when there is no session. */
function readRefreshToken(page: Page): Promise<string> {
  return page.evaluate(
    (key) =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('oidc-browser')
        open.onsuccess = () => {
          const get = open.result.transaction('kv').objectStore('kv').get(key)
          get.onsuccess = () =>
            get.result?.refreshToken ? resolve(get.result.refreshToken) : reject(new Error('none'))
        }
      }),
    recordKey(op.issuer, 'session'),
  )
}

// Silent sign-in (prompt=none in a hidden iframe) against the real oidc-provider, in real Chromium.
// The app and the provider are both on 127.0.0.1: same site, so the provider's session cookie
// reaches the iframe.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import {
  logIn,
  makeTokensExpiring,
  newApp,
  ready,
  recordKey,
  signedInTabs,
  startHarness,
  stopHarness,
  storedKeys,
  storedRecords,
  type Harness,
  appContext,
} from './app.js'
import { until } from './rogue-app.js'

const silentRequests = (requests: string[]) =>
  requests.filter((line) => line === 'GET /auth').length

/** What a page shows once a call settles: `ok` with the user, or the error's code. */
const outcome = (page: Page, call: string) =>
  page.evaluate(
    (call) =>
      new Function('client', `return ${call}`)(window.client).then(
        (result: any) => `ok:${result?.claims?.sub ?? result?.status}`,
        (error: any) => `error:${error.code}`,
      ),
    call,
  )

const frames = (page: Page) => page.evaluate(() => document.querySelectorAll('iframe').length)

describe('signInSilently against oidc-provider', { timeout: 90_000 }, () => {
  let harness: Harness
  before(async () => {
    harness = await startHarness()
  })
  after(() => stopHarness(harness))

  test('signs in while the provider session lives, and gives login_required once the user logged out there', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    // (A local logout would revoke the refresh token, and with it oidc-provider drops the grant,
    // so that prompt=none would then answer consent_required.)
    const session = recordKey(harness.op.issuer, 'session')
    const stored = async () => (await storedRecords(page))[session]?.id
    const first = await stored()
    const before = harness.op.requests.length
    assert.equal(await outcome(page, 'client.signInSilently()'), 'ok:alice')
    assert.equal(silentRequests(harness.op.requests.slice(before)), 1)
    assert.equal(await frames(page), 0, 'the iframe is removed')
    assert.notEqual(await stored(), first, 'the new session is stored')
    // The real userinfo endpoint answers for the same user.
    assert.equal(
      await page.evaluate(() => window.client.getUserInfo().then((info: any) => info.sub)),
      'alice',
    )

    // A logout at the provider, through its end-session page.
    await Promise.all([
      page.waitForURL(/\/session\/end/),
      page.evaluate(() => void window.client.logout()),
    ])
    await Promise.all([page.waitForURL(`${harness.iife}**`), page.click('button[name="logout"]')])
    await ready(page)
    assert.equal(await outcome(page, 'client.signInSilently()'), 'error:login_required')
    assert.equal(await frames(page), 0)
    const state = await page.evaluate(() => window.client.getState())
    assert.equal(state.status, 'signedOut')
    assert.deepEqual(
      (await storedKeys(page)).filter((key) => key.includes('tx:') || key.endsWith('session')),
      [],
      'nothing stored, the transaction dropped',
    )
    await context.close()
  })

  test('init({ silent: true }): a first visit picks up the provider session, staying initializing meanwhile', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    // Another page whose client keeps its session in memory: nothing held, the provider session alive.
    const visit = await context.newPage()
    await visit.goto(`${harness.app.origin}/pages/elsewhere.html`)
    await visit.addScriptTag({ url: '/dist/oidc-browser.iife.min.js' })
    const result = await visit.evaluate(async (issuer) => {
      const client = new (window as any).OidcBrowser.OidcClient({
        issuer,
        clientId: 'spa',
        redirectUri: `${location.origin}/pages/iife.html`,
        persist: 'memory',
      })
      const seen: string[] = []
      client.subscribe((state: any) => seen.push(state.status))
      const state = await client.init({ silent: true })
      return { status: state.status, sub: state.claims?.sub, seen }
    }, harness.op.issuer)
    assert.deepEqual(result, { status: 'signedIn', sub: 'alice', seen: ['signedIn'] })
    await context.close()
  })

  test('init({ silent: true }) in a tab that becomes visible meanwhile keeps the silent sign-in', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    await page.close()
    const visit = await context.newPage()
    await visit.goto(`${harness.app.origin}/pages/elsewhere.html`)
    // Nothing stored, the provider session alive.
    await visit.evaluate(
      () =>
        new Promise((done) => {
          const request = indexedDB.deleteDatabase('oidc-browser')
          request.onsuccess = request.onerror = done
        }),
    )
    await visit.addScriptTag({ url: '/dist/oidc-browser.iife.min.js' })
    const revocations = () => harness.op.requests.filter((r) => r.endsWith('/revocation')).length
    const revoked = revocations()
    const result = await visit.evaluate(async (issuer) => {
      const client = new (window as any).OidcBrowser.OidcClient({
        issuer,
        clientId: 'spa',
        redirectUri: `${location.origin}/pages/iife.html`,
      })
      const seen: string[] = []
      client.subscribe((state: any) => seen.push(state.status))
      // The tab shows while the hidden iframe is out, before the provider can have answered.
      new MutationObserver((_, observer) => {
        if (!document.querySelector('iframe')) return
        observer.disconnect()
        document.dispatchEvent(new Event('visibilitychange'))
      }).observe(document.documentElement, { childList: true, subtree: true })
      const state = await client.init({ silent: true })
      return { status: state.status, sub: state.claims?.sub, seen }
    }, harness.op.issuer)
    assert.deepEqual(result, { status: 'signedIn', sub: 'alice', seen: ['signedIn'] })
    assert.equal(revocations(), revoked, 'nothing revoked')
    await context.close()
  })

  test('init({ silent: true }) without a provider session ends signedOut with login_required', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    const state = await page.evaluate(async (issuer) => {
      const client = window.makeClient({ issuer })
      const state = await client.init({ silent: true })
      return { status: state.status, code: state.error?.code }
    }, harness.op.issuer)
    assert.deepEqual(state, { status: 'signedOut', code: 'login_required' })
    assert.equal(await frames(page), 0)
    await context.close()
  })

  test('a provider that refuses to be framed gives login_required at the timeout; the iframe and the transaction are removed', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife, { silentTimeoutSeconds: 1 })
    await ready(page)
    harness.op.answerHeaders = {
      'x-frame-options': 'DENY',
      'content-security-policy': "frame-ancestors 'none'",
    }
    try {
      assert.equal(await outcome(page, 'client.signInSilently()'), 'error:login_required')
    } finally {
      harness.op.answerHeaders = {}
    }
    assert.equal(await frames(page), 0)
    assert.deepEqual(
      (await storedKeys(page)).filter((key) => key.includes('tx:')),
      [],
    )
    await context.close()
  })
})

describe('renewal without a refresh token, across tabs', { timeout: 90_000 }, () => {
  let harness: Harness
  before(async () => {
    harness = await startHarness({ accessTokenTtl: 300 })
    harness.op.issueRefreshTokens = false
  })
  after(() => stopHarness(harness))

  test('a renewal that gets no answer in time keeps the session: login_required is thrown, nothing ended', async () => {
    const { context, tabs } = await signedInTabs(harness, 1)
    const [tab] = tabs
    harness.op.answerHeaders = {
      'x-frame-options': 'DENY',
      'content-security-policy': "frame-ancestors 'none'",
    }
    try {
      await makeTokensExpiring(context, tab)
      const renewal = outcome(tab, 'client.getAccessToken()')
      await until(async () => (await frames(tab)) === 1, 'the silent iframe is up')
      // The page clock is paused: past the 10 s the renewal waits for an answer.
      await context.clock.fastForward(11_000)
      assert.equal(await renewal, 'error:login_required')
    } finally {
      harness.op.answerHeaders = {}
    }
    assert.equal(await tab.evaluate(() => window.client.getState().status), 'signedIn')
    assert.ok((await storedKeys(tab)).includes(recordKey(harness.op.issuer, 'session')))
    assert.equal(await frames(tab), 0)
    await context.close()
  })

  test('4 tabs at the expiring point: one silent sign-in for all; a renewal answered login_required ends every tab', async () => {
    const { context, tabs } = await signedInTabs(harness, 4)
    const first = await tabs[0].evaluate(() => window.client.getAccessToken())
    const sessionKey = recordKey(harness.op.issuer, 'session')
    const login = (await storedRecords(tabs[0]))[sessionKey] as { signedInAt: number }
    await makeTokensExpiring(context, tabs[0])
    const before = harness.op.requests.length
    const tokens = await Promise.all(
      tabs.map((tab) => tab.evaluate(() => window.client.getAccessToken())),
    )
    assert.equal(silentRequests(harness.op.requests.slice(before)), 1, 'one authorization request')
    assert.equal(new Set(tokens).size, 1, 'every tab serves the renewed token')
    assert.notEqual(tokens[0], first)
    for (const tab of tabs) assert.equal(await frames(tab), 0)
    // A renewal, not a new login: a logout's mark set before it still ends it.
    const renewed = (await storedRecords(tabs[0]))[sessionKey] as { signedInAt: number }
    assert.equal(renewed.signedInAt, login.signedInAt, 'the login time is kept')

    // The provider no longer has a session for the user.
    await context.clearCookies()
    await makeTokensExpiring(context, tabs[0])
    assert.equal(await outcome(tabs[0], 'client.getAccessToken()'), 'error:login_required')
    for (const tab of tabs)
      await until(
        async () =>
          (await tab.evaluate(() => window.client.getState().error?.code)) === 'login_required',
        'every tab is signed out with login_required',
      )
    assert.ok(!(await storedKeys(tabs[0])).includes(sessionKey))
    await context.close()
  })
})

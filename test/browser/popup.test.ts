// Login in a popup against the real oidc-provider, in real Chromium: the answer comes back over a
// BroadcastChannel keyed by the login's state, so a provider's Cross-Origin-Opener-Policy that
// takes `window.opener` away cannot break it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { launchBrowser, newLoopbackContext, signInInPopup } from '../support/browser.js'
import {
  newApp,
  ready,
  recordKey,
  startHarness,
  stopHarness,
  storedKeys,
  type Harness,
  appContext,
} from './app.js'
import { until } from './rogue-app.js'

let harness: Harness

before(async () => {
  harness = await startHarness()
})
after(() => stopHarness(harness))

/**
 * Clicks a button that calls `loginWithPopup(options)` (a real user gesture); returns the popup
 * and the call's outcome as `{ ok, code, sub }`, to be awaited.
 */
async function clickLoginWithPopup(page: Page, options: Record<string, unknown> = {}) {
  await page.evaluate((options) => {
    const button = document.createElement('button')
    button.id = 'popup-login'
    button.textContent = 'log in in a popup'
    button.onclick = () =>
      ((window as any).popupOutcome = window.client.loginWithPopup(options).then(
        (result: any) => ({ ok: true, sub: result.claims.sub, code: null }),
        (error: any) => ({ ok: false, sub: null, code: error.code }),
      ))
    document.getElementById('popup-login')?.remove()
    document.body.append(button)
  }, options)
  const [popup] = await Promise.all([
    page.context().waitForEvent('page'),
    page.click('#popup-login'),
  ])
  const outcome = () => page.evaluate(() => (window as any).popupOutcome)
  return { popup, outcome }
}

const transactions = async (page: Page) =>
  (await storedKeys(page)).filter((key) => key.includes('tx:'))

describe('loginWithPopup against oidc-provider', { timeout: 60_000 }, () => {
  test('end to end: signed in in the opening tab, which never navigated; the popup closed', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    assert.equal((await ready(page)).state?.status, 'signedOut')
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) assert.fail('the opening tab navigated')
    })
    const { popup, outcome } = await clickLoginWithPopup(page)
    await signInInPopup(popup)
    assert.deepEqual(await outcome(), { ok: true, sub: 'alice', code: null })
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedIn')
    const keys = await storedKeys(page)
    assert.ok(keys.includes(recordKey(harness.op.issuer, 'session')))
    assert.deepEqual(await transactions(page), [], 'the transaction was taken')
    await context.close()
  })

  test('a provider that sends Cross-Origin-Opener-Policy: the popup loses its opener, the login still completes', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    harness.op.answerHeaders = { 'cross-origin-opener-policy': 'same-origin' }
    try {
      const { popup, outcome } = await clickLoginWithPopup(page)
      await popup.waitForSelector('input[name="login"]')
      await signInInPopup(popup)
      assert.deepEqual(await outcome(), { ok: true, sub: 'alice', code: null })
      // The page in the popup found no opener, and the tab learnt that this provider severs it.
      const severing = `oidc-browser${JSON.stringify([harness.op.issuer, 'spa'])}coop`
      assert.equal(await page.evaluate((key) => localStorage.getItem(key), severing), '1')
      assert.ok(harness.op.responses.some((line) => line.startsWith('GET /interaction/')))
    } finally {
      harness.op.answerHeaders = {}
    }
    await context.close()
  })

  test('a popup the user closes rejects popup_closed, stores nothing and drops the transaction', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    // A first popup login teaches the tab that this provider keeps the opener.
    const first = await clickLoginWithPopup(page)
    await signInInPopup(first.popup)
    assert.equal((await first.outcome()).ok, true)
    await page.evaluate(() => window.client.logout({ localOnly: true }))
    const { popup, outcome } = await clickLoginWithPopup(page, { prompt: 'login' })
    await popup.waitForSelector('input[name="login"]')
    await popup.close()
    assert.deepEqual(await outcome(), { ok: false, sub: null, code: 'popup_closed' })
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    assert.deepEqual(
      await storedKeys(page).then((keys) => keys.filter((key) => key.endsWith('session'))),
      [],
    )
    assert.deepEqual(await transactions(page), [])
    await context.close()
  })

  test('under COOP a closed popup cannot be seen: it shows as popup_timeout', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife, { popupTimeoutSeconds: 2 })
    await ready(page)
    harness.op.answerHeaders = { 'cross-origin-opener-policy': 'same-origin' }
    try {
      const { popup, outcome } = await clickLoginWithPopup(page)
      await popup.waitForSelector('input[name="login"]')
      await popup.close()
      assert.deepEqual(await outcome(), { ok: false, sub: null, code: 'popup_timeout' })
      assert.deepEqual(await transactions(page), [])
    } finally {
      harness.op.answerHeaders = {}
    }
    await context.close()
  })

  test('a popup that never answers rejects popup_timeout and is closed; nothing stored', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife, { popupTimeoutSeconds: 1 })
    await ready(page)
    const { popup, outcome } = await clickLoginWithPopup(page)
    const closed = popup.waitForEvent('close')
    assert.deepEqual(await outcome(), { ok: false, sub: null, code: 'popup_timeout' })
    await closed
    assert.deepEqual(await transactions(page), [])
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    await context.close()
  })

  test('a client closed while its popup is out stops waiting: invalid_config, the popup closed, no event, nothing stored', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife)
    await ready(page)
    const { popup, outcome } = await clickLoginWithPopup(page)
    await popup.waitForSelector('input[name="login"]')
    const closed = popup.waitForEvent('close')
    // As a framework's unmount does; the default timeout (300 s) is far away.
    await page.evaluate(() => {
      ;(window as any).events = []
      for (const type of ['error', 'change'])
        window.client.addEventListener(type, () => (window as any).events.push(type))
      window.client.close()
    })
    assert.deepEqual(await outcome(), { ok: false, sub: null, code: 'invalid_config' })
    await closed
    assert.deepEqual(
      await page.evaluate(() => (window as any).events),
      [],
      'a closed client fires no event',
    )
    assert.deepEqual(await transactions(page), [])
    await context.close()
  })

  test('answers for another state, and answers after the login ended, are ignored', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, harness.iife, { popupTimeoutSeconds: 3 })
    await ready(page)
    const { popup, outcome } = await clickLoginWithPopup(page)
    await popup.waitForSelector('input[name="login"]')
    const [key] = await transactions(page)
    const state = key.slice(key.indexOf('tx:') + 3)
    const channel = `oidc-browser${JSON.stringify([harness.op.issuer, 'spa'])}${state}`
    // A second tab of the origin posts on this login's channel an answer for another state.
    const other = await newApp(context, harness.iife)
    await ready(other)
    const post = (url: string) =>
      other.evaluate(
        ({ channel, url }) => {
          const sender = new BroadcastChannel(channel)
          sender.postMessage({ url, severed: false })
          sender.close()
        },
        { channel, url },
      )
    const callback = (state: string) =>
      `${harness.iife}?code=forged&state=${encodeURIComponent(state)}`
    await post(callback('another.p'))
    assert.deepEqual(await outcome(), { ok: false, sub: null, code: 'popup_timeout' })
    const requestsBefore = harness.op.requests.length
    await post(callback(state))
    // Give a wrongly taken answer every chance to reach the token endpoint: the page's own next
    // round trip to the provider comes after any work that message could have started.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)))
    await page.evaluate(
      (issuer) => fetch(`${issuer}/.well-known/openid-configuration`),
      harness.op.issuer,
    )
    assert.ok(!harness.op.requests.slice(requestsBefore).includes('POST /token'))
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    await context.close()
  })
})

describe('the redirect URI page', { timeout: 60_000 }, () => {
  test('a link whose state carries the popup mark but no pending login is an invalid callback, not handed back', async () => {
    const context = await appContext(harness)
    const page = await newApp(context, `${harness.iife}?code=forged&state=crafted.p`)
    const result = await ready(page)
    assert.deepEqual([result.ok, result.code], [false, 'invalid_callback'])
    await context.close()
  })
})

describe(
  'a popup opened without a user gesture, with the popup blocker on',
  { timeout: 60_000 },
  () => {
    test('rejects popup_blocked and stores nothing', async () => {
      const browser = await launchBrowser({ ignoreDefaultArgs: ['--disable-popup-blocking'] })
      try {
        const context = await newLoopbackContext(browser)
        await context.addInitScript((issuer) => {
          window.__testConfig = { issuer }
          // Called by the page itself once loaded: no user gesture.
          addEventListener('load', () => {
            ;(window as any).blocked = window.client.loginWithPopup().then(
              () => 'opened',
              (error: any) => error.code,
            )
          })
        }, harness.op.issuer)
        const page = await newApp(context, harness.iife)
        await until(
          () => page.evaluate(() => !!(window as any).blocked),
          'the page asked for a popup',
        )
        assert.equal(await page.evaluate(() => (window as any).blocked), 'popup_blocked')
        assert.equal(context.pages().length, 1)
        assert.deepEqual(await transactions(page), [])
      } finally {
        await browser.close()
      }
    })
  },
)

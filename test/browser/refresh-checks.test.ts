// When a tab refreshes by itself (hidden, offline, back online), and refresh answers it must not
// take as they come: an ID token for another user, an access token already expired.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SignJWT, decodeJwt, importJWK } from 'jose'
import type { BrowserContext, Page } from 'playwright-core'
import type { TestProvider } from '../support/provider.js'
import {
  makeTokensExpiring,
  signedInTabs,
  startHarness,
  stopHarness,
  storedKeys,
  storedRecords,
  type Harness,
} from './app.js'
import {
  accessTokenTtl,
  eventTypes,
  harnessHelpers,
  status,
  waitForStatus,
} from './tabs-support.js'

let harness: Harness
let op: TestProvider

before(async () => ({ op } = harness = await startHarness({ accessTokenTtl })))
after(() => stopHarness(harness))

const { grants, sessionKey, settled } = harnessHelpers(() => harness)

/** Every record of oidc-browser's IndexedDB store, as one JSON string. */
const storedJson = async (page: Page) => JSON.stringify(Object.values(await storedRecords(page)))

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

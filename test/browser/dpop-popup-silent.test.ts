// DPoP with the popup login and the silent renewal, against oidc-provider's DPoP feature.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { signInInPopup } from '../support/browser.js'
import { makeTokensExpiring, newApp, ready } from './app.js'
import {
  dpopClient,
  harness,
  newContext,
  op,
  sessionKey,
  signedInTabs,
  storedSession,
  thumbprintOf,
  useDpopHarness,
} from './dpop-app.js'

useDpopHarness()

/** The thumbprint of the provider's binding of `accessToken` (its `cnf.jkt`). */
const boundTo = async (accessToken: string) =>
  (await op.provider.AccessToken.find(accessToken))?.jkt

describe('DPoP with popup login and silent renewal', { timeout: 90_000 }, () => {
  test('a popup login binds the tokens to the key of its transaction', async () => {
    const context = await newContext()
    const page = await newApp(context, harness.iife)
    await ready(page)
    await page.evaluate(() => {
      const button = document.createElement('button')
      button.id = 'popup-login'
      button.onclick = () => ((window as any).outcome = window.client.loginWithPopup())
      document.body.append(button)
    })
    const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#popup-login')])
    await signInInPopup(popup)
    await page.evaluate(() => (window as any).outcome)
    const stored = await storedSession(page, sessionKey())
    assert.ok(stored, 'the session is stored')
    assert.equal(stored.extractable, false)
    assert.equal(await boundTo(stored.accessToken), await thumbprintOf(stored.publicJwk))
    await context.close()
  })

  test('a silent renewal without a refresh token keeps the session key, and the new token is bound to it', async () => {
    op.issueRefreshTokens = false
    try {
      const { context, tabs } = await signedInTabs(1)
      const before = await storedSession(tabs[0], sessionKey())
      assert.ok(before && !before.refreshToken)
      await makeTokensExpiring(context, tabs[0])
      const token = await tabs[0].evaluate(() => window.client.getAccessToken())
      assert.notEqual(token, before.accessToken, 'renewed')
      const after = await storedSession(tabs[0], sessionKey())
      assert.equal(after?.accessToken, token)
      const key = await thumbprintOf(before.publicJwk)
      assert.equal(await thumbprintOf(after!.publicJwk), key, 'the same key')
      assert.equal(await boundTo(token), key, 'the renewed token is bound to it')
      await context.close()
    } finally {
      op.issueRefreshTokens = true
    }
  })

  test("persist: 'memory': a silent renewal keeps the session's key in memory, never in IndexedDB", async () => {
    op.issueRefreshTokens = false
    try {
      const { context, tabs } = await signedInTabs(1, { ...dpopClient(), persist: 'memory' })
      const [page] = tabs
      // From here on, what IndexedDB is given: the renewal's transaction, but no CryptoKey.
      await page.evaluate(() => {
        const w = window as any
        w.__puts = []
        const put = IDBObjectStore.prototype.put
        const holdsKey = (value: unknown): boolean =>
          value instanceof CryptoKey ||
          (typeof value === 'object' && !!value && Object.values(value).some(holdsKey))
        IDBObjectStore.prototype.put = function (value, key) {
          w.__puts.push({ key: String(key), holdsKey: holdsKey(value) })
          return put.call(this, value, key)
        }
      })
      const before = await page.evaluate(() => window.client.getAccessToken())
      await makeTokensExpiring(context, page)
      const token = await page.evaluate(() => window.client.getAccessToken())
      assert.notEqual(token, before, 'renewed')
      const puts: { key: string; holdsKey: boolean }[] = await page.evaluate(
        () => (window as any).__puts,
      )
      assert.ok(
        puts.some((put) => put.key.includes('tx:')),
        'the renewal stored its transaction',
      )
      assert.deepEqual(
        puts.filter((put) => put.holdsKey),
        [],
        'no key went to IndexedDB',
      )
      const key = await boundTo(before)
      assert.ok(key)
      assert.equal(await boundTo(token), key, 'the renewed token is bound to the same key')
      await context.close()
    } finally {
      op.issueRefreshTokens = true
    }
  })
})

// getUserInfo and a forged silent sign-in, against the misbehaving provider in real Chromium.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loginAs, openTab, rogueContext, storedSession, useRogueHarness } from './rogue-app.js'

const harness = useRogueHarness()

/** `getUserInfo()` in the tab: the answer with whether it is frozen, or the error's code. */
const userInfoOf = (page: import('playwright-core').Page) =>
  page.evaluate(() =>
    window.client.getUserInfo().then(
      (info: any) => ({ ...info, frozen: Object.isFrozen(info) }),
      (error: any) => `error:${error.code}`,
    ),
  )

describe('getUserInfo', { timeout: 60_000 }, () => {
  test("the session's sub passes, frozen and kept apart from the claims", async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    await loginAs(page, 'bob')
    harness.rogue.faults.userinfo = (answer) => ({
      ...answer,
      body: { ...(answer.body as object), nickname: 'b' },
    })
    assert.deepEqual(await userInfoOf(page), { sub: 'bob', nickname: 'b', frozen: true })
    assert.equal(await page.evaluate(() => window.client.getState().claims.nickname), undefined)
    await context.close()
  })

  test('another sub, a non-JSON answer and an error status are userinfo_error; the session stays', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    await loginAs(page, 'bob')
    const answers = [
      { status: 200, contentType: 'application/json', body: { sub: 'mallory' } },
      { status: 200, contentType: 'application/jwt', body: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' },
      { status: 200, contentType: 'application/json', body: '["bob"]' },
      { status: 401, contentType: 'application/json', body: { error: 'invalid_token' } },
    ]
    for (const answer of answers) {
      harness.rogue.faults.userinfo = () => answer
      assert.equal(await userInfoOf(page), 'error:userinfo_error', JSON.stringify(answer))
    }
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedIn')
    await context.close()
  })

  test('a redirect is not followed with the token: userinfo_error', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    await loginAs(page, 'bob')
    // Followed, the request would go again, token and all, and get a good answer this time.
    let redirected = false
    harness.rogue.faults.userinfo = (answer) => {
      if (redirected) return answer
      redirected = true
      return { ...answer, status: 307, body: '', location: `${harness.rogue.issuer}/userinfo` }
    }
    assert.equal(await userInfoOf(page), 'error:userinfo_error')
    await context.close()
  })
})

describe('signInSilently with a forged answer', { timeout: 60_000 }, () => {
  test("an ID token signed by another key under the provider's kid is refused like a redirect login", async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    harness.rogue.signWith({ ...harness.rogue.attackerKey, kid: harness.rogue.key.kid })
    const result = await page.evaluate(() =>
      window.client.signInSilently().then(
        () => 'signed in',
        (error: any) => `${error.code}/${error.reason}`,
      ),
    )
    assert.equal(result, 'id_token_invalid/signature')
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    assert.equal(await storedSession(page, harness.rogue.issuer), undefined)
    assert.equal(await page.evaluate(() => document.querySelectorAll('iframe').length), 0)
    await context.close()
  })
})

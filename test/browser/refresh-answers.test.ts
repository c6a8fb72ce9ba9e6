// What the provider answers to a refresh decides the session: refusals end it everywhere,
// anything else keeps it; no answer makes the client loop; dropped refresh tokens are revoked
// when a logout won, never when another login did.
import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import { answerRefreshes, type TokenAnswer } from '../support/rogue-provider.js'
import { editRecord, recordKey } from './app.js'
import {
  gate,
  loginAs,
  openTab,
  refresh,
  rogueContext,
  seen,
  useRogueHarness,
  storedSession,
  until,
} from './rogue-app.js'

const harness = useRogueHarness()
beforeEach(() => {
  // Tokens that come already expiring: every getAccessToken() refreshes, and no timer does.
  harness.rogue.accessTokenTtl = 0
})

const grants = () => harness.rogue.tokenStatuses.length

async function twoTabs(): Promise<{ context: BrowserContext; a: Page; b: Page }> {
  const context = await rogueContext(harness)
  const a = await openTab(harness, context)
  await loginAs(a)
  return { context, a, b: await openTab(harness, context) }
}

describe('a refused refresh (defect 18)', { timeout: 60_000 }, () => {
  for (const [name, status, body] of [
    ['400 with an empty body', 400, ''],
    ['401 with an HTML page', 401, '<html>no</html>'],
    ['400 invalid_client', 400, { error: 'invalid_client' }],
  ] as const) {
    test(`${name} ends the session everywhere with login_required, and asks no more`, async () => {
      const { context, a, b } = await twoTabs()
      const contentType = typeof body === 'string' ? 'text/html' : 'application/json'
      harness.rogue.faults = answerRefreshes({ status, contentType, body })
      assert.equal(await refresh(a), 'login_required')
      const before = grants()
      assert.equal(await refresh(a), 'login_required')
      assert.equal(grants(), before, 'no doomed request')
      await b.waitForFunction(() => window.client.getState().status === 'signedOut')
      for (const page of [a, b]) assert.equal((await seen(page)).error, 'login_required')
      assert.equal(await storedSession(a, harness.rogue.issuer), undefined)
      await context.close()
    })
  }

  for (const [name, status] of [
    ['503', 503],
    ['429', 429],
  ] as const) {
    test(`${name} is transient: the session stays, token_error`, async () => {
      const { context, a, b } = await twoTabs()
      const stored = await storedSession(a, harness.rogue.issuer)
      harness.rogue.faults = answerRefreshes({ status, contentType: 'text/plain', body: 'later' })
      assert.equal(await refresh(a), 'token_error')
      assert.deepEqual(await storedSession(a, harness.rogue.issuer), stored)
      for (const page of [a, b])
        assert.equal(await page.evaluate(() => window.client.getState().status), 'signedIn')
      await context.close()
    })
  }
})

describe(
  'a refresh answer without expires_in and without an ID token (defect 7)',
  { timeout: 60_000 },
  () => {
    test('keeps a lifetime in the future: five calls, one grant', async () => {
      const context = await rogueContext(harness)
      await context.clock.install()
      const start = Date.now() + 1000
      await context.clock.pauseAt(start)
      harness.rogue.accessTokenTtl = 60
      // An ID token that lives 30 s: by the time the access token expires, so has it.
      harness.rogue.faults = {
        idToken: ({ header, payload }) => ({
          header,
          payload: { ...payload, exp: (payload.iat as number) + 30 },
        }),
        tokenResponse: (answer, grantType) => {
          if (grantType !== 'refresh_token') return answer
          const { expires_in: _, id_token: __, ...body } = answer.body as Record<string, unknown>
          return { ...answer, body }
        },
      }
      const page = await openTab(harness, context)
      await loginAs(page)
      await context.clock.setSystemTime(start + 120_000)
      const before = grants()
      for (let call = 0; call < 5; call++) assert.equal(await refresh(page), 'ok')
      assert.equal(grants() - before, 1)
      const { expiresAt } = await page.evaluate(() => window.client.getState())
      assert.ok(expiresAt > (start + 120_000) / 1000, 'the new expiry lies ahead')
      await context.close()
    })
  },
)

describe("a refreshed ID token's audience (defect 8)", { timeout: 60_000 }, () => {
  for (const [name, first, next] of [
    ['"spa", then ["spa"]', 'spa', ['spa']],
    ['["spa", "api"], then ["api", "spa"]', ['spa', 'api'], ['api', 'spa']],
  ] as const) {
    test(`is compared as a set: ${name} keeps the session`, async () => {
      harness.rogue.faults = {
        idToken: ({ header, payload }, grantType) => ({
          header,
          payload: {
            ...payload,
            aud: grantType === 'refresh_token' ? next : first,
            ...(typeof first === 'string' ? {} : { azp: 'spa' }),
          },
        }),
      }
      const context = await rogueContext(harness)
      const page = await openTab(harness, context)
      await loginAs(page)
      assert.equal(await refresh(page), 'ok')
      assert.deepEqual(await page.evaluate(() => window.client.getState().claims.aud), next)
      assert.equal((await seen(page)).status, 'signedIn')
      await context.close()
    })
  }
})

describe('refresh tokens left valid (defect 11)', { timeout: 60_000 }, () => {
  test('a logout from a tab that could not verify the stored session revokes its refresh token', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    await loginAs(page)
    const { refreshToken } = await storedSession(page, harness.rogue.issuer)
    // The cached keys are unreadable and the provider's JWKS answers HTML: the reload cannot verify.
    await editRecord(page, recordKey(harness.rogue.issuer, 'jwks'), 'return { fetchedAt: "x" }')
    harness.rogue.faults = { jwks: () => '<html>' }
    await page.reload()
    assert.equal((await seen(page)).error, 'jwks_error')
    await page.evaluate(() => window.client.logout({ localOnly: true }))
    assert.ok(harness.rogue.revoked.includes(refreshToken))
    assert.equal(await storedSession(page, harness.rogue.issuer), undefined)
    await context.close()
  })

  for (const winner of ['logout', 'login'] as const) {
    test(`a refresh that loses to another tab's ${winner}: its new refresh token is ${winner === 'logout' ? '' : 'not '}revoked`, async () => {
      const { context, a, b } = await twoTabs()
      const answer = gate()
      let issued = ''
      harness.rogue.faults = {
        hold: (path) => (path === '/token' && !issued ? answer.hold() : undefined),
        tokenResponse: (sent, grantType) => {
          if (grantType === 'refresh_token') issued ||= (sent.body as any).refresh_token
          return sent
        },
      }
      const outcome = refresh(a)
      await until(() => answer.waiting() > 0, 'the refresh is held')
      delete harness.rogue.faults.hold
      if (winner === 'logout') await b.evaluate(() => window.client.logout({ localOnly: true }))
      else await loginAs(b, 'bob')
      answer.open()
      assert.equal(await outcome, winner === 'logout' ? 'login_required' : 'ok')
      assert.ok(issued, 'the provider answered the refresh')
      assert.equal(harness.rogue.revoked.includes(issued), winner === 'logout')
      const shown = await seen(a)
      assert.equal(shown.sub, winner === 'logout' ? null : 'bob')
      await context.close()
    })
  }
})

describe('a redirect from the token endpoint', { timeout: 60_000 }, () => {
  test('is not followed with the refresh token: a transient token_error, the session stays', async () => {
    const { context, a } = await twoTabs()
    // Followed, the refresh token would go again to where the redirect points.
    let redirected = false
    harness.rogue.faults = {
      tokenResponse: (answer, grantType) => {
        if (grantType !== 'refresh_token' || redirected) return answer
        redirected = true
        return { ...answer, status: 307, body: '', location: `${harness.rogue.issuer}/token` }
      },
    }
    const before = grants()
    assert.equal(await refresh(a), 'token_error')
    assert.equal(await a.evaluate(() => window.client.getState().status), 'signedIn')
    assert.equal(grants() - before, 1, 'the refresh answered 307; nothing followed it')
    await context.close()
  })
})

describe('the automatic refresh', { timeout: 60_000 }, () => {
  test('comes when the expiring point falls between two seconds (a 75 s token: at 37.5 s)', async () => {
    harness.rogue.accessTokenTtl = 75
    const context = await rogueContext(harness)
    await context.clock.install()
    const tab = await openTab(harness, context)
    await loginAs(tab)
    const before = grants()
    const { expiresAt } = await tab.evaluate(() => window.client.getState())
    // Past the expiring point and the next whole second, far short of expiry.
    const target = (expiresAt - 75 + 38.2) * 1000
    await context.clock.runFor(target - (await tab.evaluate(() => Date.now())))
    await until(async () => grants() > before, 'the automatic refresh')
    await tab.waitForFunction(() => window.events.some((event) => event.type === 'refreshed'))
    await context.close()
  })
})

describe('a silent renewal (no refresh token)', { timeout: 60_000 }, () => {
  test('an ID token issued "in the future" (this clock behind) keeps the session: it cannot be verified now', async () => {
    // No refresh token: the renewal of the expiring token is a silent sign-in.
    const withoutRefreshToken = (answer: TokenAnswer) => {
      const { refresh_token: _, ...body } = answer.body as Record<string, unknown>
      return { ...answer, body }
    }
    harness.rogue.faults = { tokenResponse: withoutRefreshToken }
    const context = await rogueContext(harness)
    const tab = await openTab(harness, context)
    try {
      await loginAs(tab)
      harness.rogue.faults = {
        tokenResponse: withoutRefreshToken,
        idToken: (parts) => ({
          ...parts,
          payload: { ...parts.payload, iat: (parts.payload.iat as number) + 600 },
        }),
      }
      assert.equal(await refresh(tab), 'id_token_invalid')
      assert.equal(await tab.evaluate(() => window.client.getState().status), 'signedIn')
      assert.ok(await storedSession(tab, harness.rogue.issuer), 'the session stays stored')
    } finally {
      harness.rogue.faults = {}
    }
    await context.close()
  })
})

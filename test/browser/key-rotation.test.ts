// A provider that rotates its signing keys never ends a session because a tab cannot verify a
// token *now*; takeovers finish in order; a wall clock set back cannot freeze the key cache.
import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import {
  loginAs,
  openTab,
  rogueContext,
  seen,
  useRogueHarness,
  storedSession,
} from './rogue-app.js'

const harness = useRogueHarness()
beforeEach(() => {
  // Tokens that come already expiring: every getAccessToken() refreshes, and no timer does.
  harness.rogue.accessTokenTtl = 0
})

const refused = () => harness.rogue.tokenStatuses.filter((status) => status !== 200).length
const errorsOf = (page: Page) =>
  page.evaluate(() => window.events.filter((e) => e.type === 'error').map((e) => e.code))

describe(
  'a key published just after this tab fetched the JWKS (defect 3)',
  { timeout: 60_000 },
  () => {
    test('the refresh keeps the rotated tokens with the verified claims (jwks_error), and verifies them once it can', async () => {
      const context = await rogueContext(harness)
      // Paused: the refetch interval runs only when the test moves the clock.
      await context.clock.install()
      await context.clock.pauseAt(Date.now() + 1000)
      const tab = await openTab(harness, context)
      await loginAs(tab, 'alice')
      const other = await openTab(harness, context)
      const claims = await tab.evaluate(() => window.client.getState().claims)
      await harness.rogue.rotateKey()

      const token = await tab.evaluate(() => window.client.getAccessToken())
      let stored = await storedSession(tab, harness.rogue.issuer)
      assert.equal(stored.accessToken, token, 'the rotated tokens are kept, in storage too')
      assert.ok(stored.pendingIdToken, 'the new ID token waits for its key')
      assert.deepEqual(await tab.evaluate(() => window.client.getState().claims), claims)
      assert.deepEqual(await errorsOf(tab), ['jwks_error'])
      assert.equal((await seen(tab)).status, 'signedIn')
      // The other tab had never fetched the keys: it fetches them and takes the session over.
      await other.waitForFunction(
        (token) => window.client.getAccessToken().then((held: string) => held === token),
        token,
      )

      await context.clock.runFor(31_000)
      const next = await tab.evaluate(() => window.client.getAccessToken())
      stored = await storedSession(tab, harness.rogue.issuer)
      assert.equal(stored.accessToken, next)
      assert.equal(stored.pendingIdToken, undefined, 'verified now')
      assert.equal((await seen(tab)).sub, 'alice')
      assert.equal(refused(), 0, 'no refresh token was spent twice')
      await context.close()
    })
  },
)

describe('two takeovers in one tab (defect 4)', { timeout: 60_000 }, () => {
  test('the later session wins even when the earlier one verifies last', async () => {
    const context = await rogueContext(harness)
    const a = await openTab(harness, context)
    await loginAs(a, 'alice')
    const [b, c] = [await openTab(harness, context), await openTab(harness, context)]
    const first = harness.rogue.key
    await harness.rogue.rotateKey()
    // B's look at the cached keys answers only when the test says so.
    await b.evaluate(() => {
      const w = window as any
      w.__holdKeyReads = new Promise((resolve) => (w.__releaseKeyReads = resolve))
    })
    await c.evaluate(() => window.client.getAccessToken())
    await b.waitForFunction(() => (window as any).__heldKeyReads > 0)
    // Meanwhile bob logs in, with a key B holds: B verifies and takes bob first.
    harness.rogue.signWith(first)
    harness.rogue.accessTokenTtl = 3600
    await loginAs(a, 'bob')
    await b.waitForFunction(() => window.client.getState().claims?.sub === 'bob')

    const reads = await b.evaluate(() => (window as any).__idbLog.length)
    await b.evaluate(() => (window as any).__releaseKeyReads())
    // The verification of alice's refresh ends in a commit that finds B moved on: it reads
    // storage again, finds bob, and stops.
    await b.waitForFunction(
      (reads) =>
        (window as any).__idbLog
          .slice(reads)
          .some((e: string) => e.startsWith('readonly') && e.endsWith('session')),
      reads,
    )
    const stored = await storedSession(b, harness.rogue.issuer)
    assert.deepEqual(await seen(b), {
      status: 'signedIn',
      sub: 'bob',
      error: null,
      token: stored.accessToken,
    })
    await context.close()
  })
})

describe('a JWKS the provider lets browsers cache for an hour', { timeout: 60_000 }, () => {
  test("a key published since is still found: the refetch does not take the HTTP cache's copy", async () => {
    harness.rogue.faults = { jwksCacheControl: 'max-age=3600' }
    try {
      const context = await rogueContext(harness, { httpCache: true })
      await context.clock.install()
      await context.clock.pauseAt(Date.now() + 1000)
      const tab = await openTab(harness, context)
      await loginAs(tab, 'alice')
      await harness.rogue.rotateKey()
      // Past the refetch interval: an unknown kid sends the client to the provider's JWKS again.
      await context.clock.runFor(31_000)
      await tab.evaluate(() => window.client.getAccessToken())
      const stored = await storedSession(tab, harness.rogue.issuer)
      assert.equal(
        stored.pendingIdToken,
        undefined,
        'the new key was fetched and the token verified',
      )
      assert.deepEqual(await errorsOf(tab), [])
      await context.close()
    } finally {
      harness.rogue.faults = {}
    }
  })
})

describe('a wall clock set back (defect 17)', { timeout: 60_000 }, () => {
  test('does not keep the key cache fresh or the refetch interval running: a rotated key is fetched', async () => {
    const context = await rogueContext(harness)
    await context.clock.install()
    const start = Date.now() + 1000
    await context.clock.pauseAt(start)
    const tab = await openTab(harness, context)
    await loginAs(tab, 'alice')
    await harness.rogue.rotateKey()
    // Back 31 s, then 31 s on: by the wall clock no time passed since the keys were fetched, by
    // the monotonic clock 31 s did, so the refetch interval is over.
    await context.clock.setSystemTime(start - 31_000)
    await context.clock.runFor(31_000)
    const tokens = harness.rogue.tokenStatuses.length
    const token = await tab.evaluate(() => window.client.getAccessToken())
    assert.equal(harness.rogue.tokenStatuses.length, tokens + 1, 'refreshed')
    const stored = await storedSession(tab, harness.rogue.issuer)
    assert.equal(stored.accessToken, token)
    assert.equal(stored.pendingIdToken, undefined, 'the new key was fetched and the token verified')
    assert.deepEqual(await errorsOf(tab), [])
    await context.close()
  })
})

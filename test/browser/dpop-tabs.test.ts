import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startProvider, type TestProvider } from '../support/provider.js'
import { logIn, makeTokensExpiring, newApp, ready, storedKeys } from './app.js'
import {
  api,
  dpopClient,
  fetchMe,
  harness,
  newContext,
  op,
  sessionKey,
  signedInTabs,
  storedSession,
  thumbprintOf,
  tokenRequests,
  useDpopHarness,
} from './dpop-app.js'

useDpopHarness()

describe('DPoP across tabs', { timeout: 120_000 }, () => {
  test('8 tabs at the expiring point: one refresh grant, bound to the same key; a reload restores with no request', async () => {
    const { context, tabs } = await signedInTabs(8)
    const grants = () => op.requests.filter((request) => request === 'POST /token').length
    const before = await storedSession(tabs[0], sessionKey())
    const perRound: number[] = []
    for (let round = 0; round < 3; round++) {
      await makeTokensExpiring(context, tabs[0])
      const start = grants()
      const tokens = await Promise.all(
        tabs.map((tab) => tab.evaluate(() => window.client.getAccessToken())),
      )
      perRound.push(grants() - start)
      assert.equal(new Set(tokens).size, 1, `round ${round}: one token for every tab`)
    }
    assert.deepEqual(perRound, [1, 1, 1], 'exactly one refresh grant per round')
    const after = await storedSession(tabs[0], sessionKey())
    assert.deepEqual(after?.publicJwk, before?.publicJwk, 'the refreshes kept the key')
    const accessToken = await op.provider.AccessToken.find(after!.accessToken)
    assert.equal(accessToken?.jkt, await thumbprintOf(after!.publicJwk))
    assert.equal((await fetchMe(tabs[5], `${api.origin}/me`)).status, 200)
    const requestsBefore = op.requests.length
    await tabs[3].reload()
    assert.equal((await ready(tabs[3])).state?.status, 'signedIn')
    assert.equal(op.requests.length - requestsBefore, 0, 'the reload made no request')
    assert.equal((await fetchMe(tabs[3], `${api.origin}/me`)).status, 200)
    console.log(
      `8 tabs with DPoP, 3 rounds: refresh grants per round ${perRound.join(',')}; reload requests 0`,
    )
    await context.close()
  })

  test("a login in another tab never pairs this tab's tokens with its new key", async () => {
    const { context, tabs } = await signedInTabs(1)
    const [a] = tabs
    const before = await storedSession(a, sessionKey())
    const b = await newApp(context, harness.iife)
    await ready(b)
    // B's login made a key of its own, in its transaction only: the session keeps A's.
    await b.evaluate(() => window.client.createLoginUrl())
    assert.deepEqual((await storedSession(a, sessionKey()))?.publicJwk, before?.publicJwk)
    assert.equal((await fetchMe(a, `${api.origin}/me`)).status, 200)
    // Once B's login completes, A follows the new session: new tokens and the new key together.
    assert.equal((await logIn(b, { prompt: 'login' })).ok, true)
    const next = await storedSession(b, sessionKey())
    assert.notDeepEqual(next?.publicJwk, before?.publicJwk)
    await a.waitForFunction(
      async (token) => (await window.client.getAccessToken()) === token,
      next!.accessToken,
    )
    assert.equal((await fetchMe(a, `${api.origin}/me`)).status, 200)
    await context.close()
  })

  test("persist: 'memory': the key stays in this tab's memory, and client.fetch works", async () => {
    const context = await newContext(op, { ...dpopClient(), persist: 'memory' })
    const page = await newApp(context, harness.iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    assert.ok(!(await storedKeys(page)).includes(sessionKey()), 'no session in IndexedDB')
    assert.equal((await fetchMe(page, `${api.origin}/me`)).status, 200)
    await context.close()
  })

  test('turning DPoP on drops a stored Bearer session: its token is never served, the user signs in again', async () => {
    const context = await newContext(op, { apiOrigins: [api.origin] })
    const page = await newApp(context, harness.iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    assert.ok((await storedKeys(page)).includes(sessionKey()))
    const outcome = await page.evaluate(
      async (origins) => {
        const client = window.makeClient({ dpop: true, apiOrigins: origins })
        const { status } = await client.init()
        const token = await client.getAccessToken().then(
          () => 'served',
          (error: any) => error.code,
        )
        client.close()
        return { status, token }
      },
      [api.origin],
    )
    assert.deepEqual(outcome, { status: 'signedOut', token: 'login_required' })
    assert.ok(!(await storedKeys(page)).includes(sessionKey()), 'the Bearer session is deleted')
    await context.close()
  })
})

describe('DPoP nonces at the token endpoint', { timeout: 60_000 }, () => {
  let nonceOp: TestProvider
  before(async () => {
    nonceOp = await startProvider({ redirectUris: [harness.iife], dpopNonces: true })
  })
  after(() => nonceOp.close())

  test('a provider demanding nonces: one retry, then success; what a callback costs', async () => {
    const context = await newContext(nonceOp)
    await context.clock.install()
    const page = await newApp(context, harness.iife)
    await ready(page)
    nonceOp.requests.length = 0
    nonceOp.responses.length = 0
    const result = await logIn(page)
    assert.equal(result.ok, true, JSON.stringify(result))
    // The preflight, the request answered use_dpop_nonce, the retry with the nonce.
    assert.deepEqual(tokenRequests(nonceOp), ['OPTIONS /token', 'POST /token', 'POST /token'])
    assert.deepEqual(
      nonceOp.responses.filter((response) => response.startsWith('POST /token')),
      ['POST /token 400', 'POST /token 200'],
    )
    console.log(`callback with DPoP, nonce demanded: ${tokenRequests(nonceOp).join(', ')}`)
    // The nonce is known now: a refresh needs no second round trip.
    const stored = await storedSession(page, sessionKey(nonceOp))
    await makeTokensExpiring(context, page)
    nonceOp.requests.length = 0
    const token = await page.evaluate(() => window.client.getAccessToken())
    assert.notEqual(token, stored?.accessToken)
    assert.deepEqual(tokenRequests(nonceOp), ['POST /token'])
    await context.close()
  })
})

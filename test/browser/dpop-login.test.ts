import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { BrowserContext } from 'playwright-core'
import { dpop } from '../../src/dpop.js'
import { startResourceServer } from '../support/resource-server.js'
import { logIn, newApp, ready, storedKeys } from './app.js'
import {
  api,
  fetchMe,
  harness,
  newContext,
  op,
  sessionKey,
  storedSession,
  thumbprintOf,
  tokenRequests,
  useDpopHarness,
} from './dpop-app.js'

useDpopHarness()

describe('DPoP login through a real provider', { timeout: 90_000 }, () => {
  let context: BrowserContext
  before(async () => (context = await newContext()))
  after(() => context.close())

  test('tokens bound to a non-extractable key in IndexedDB; client.fetch passes a checking API; a copied token does not', async () => {
    const page = await newApp(context, harness.iife)
    await ready(page)
    op.requests.length = 0
    const result = await logIn(page)
    assert.equal(result.ok, true, JSON.stringify(result))
    // The token request and its CORS preflight (the DPoP header makes one): no nonce here.
    assert.deepEqual(tokenRequests(op), ['OPTIONS /token', 'POST /token'])
    console.log(`callback with DPoP, no nonce demanded: ${tokenRequests(op).join(', ')}`)
    const stored = await storedSession(page, sessionKey())
    assert.ok(stored)
    assert.equal(stored.isCryptoKey, true)
    assert.equal(stored.extractable, false)
    assert.equal(stored.exported, 'InvalidAccessError', 'exportKey rejects')
    // The provider bound the access token to this key: its cnf.jkt is the key's thumbprint.
    const accessToken = await op.provider.AccessToken.find(stored.accessToken)
    assert.equal(accessToken?.tokenType, 'DPoP')
    assert.equal(accessToken?.jkt, await thumbprintOf(stored.publicJwk))

    api.requests.length = 0
    const me = await fetchMe(page, `${api.origin}/me?x=1`)
    assert.equal(me.status, 200, JSON.stringify(me))
    assert.deepEqual(JSON.parse(me.body!), { sub: 'alice' })
    // The API demanded its nonce once: preflight, refused request, retry.
    assert.deepEqual(api.requests, ['OPTIONS /me', 'GET /me', 'GET /me'])
    const again = await fetchMe(page, `${api.origin}/me`)
    assert.equal(again.status, 200)
    // getUserInfo sends the bound token with a proof, which the provider's userinfo checks.
    assert.equal(
      await page.evaluate(() => window.client.getUserInfo().then((info: any) => info.sub)),
      'alice',
    )

    // The token copied out of IndexedDB, replayed without the key: as a bearer token, and
    // with a proof by another key (with the API's current nonce).
    const bearer = await fetch(`${api.origin}/me`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    })
    assert.equal(bearer.status, 401)
    const nonce = bearer.headers.get('dpop-nonce')!
    const thief = dpop()
    const thiefKey = await thief.generateKey()
    const proof = await thief.proof(thiefKey, {
      htm: 'GET',
      htu: `${api.origin}/me`,
      nonce,
      accessToken: stored.accessToken,
    })
    const stolen = await fetch(`${api.origin}/me`, {
      headers: { authorization: `DPoP ${stored.accessToken}`, dpop: proof },
    })
    assert.equal(stolen.status, 401)
    assert.match(stolen.headers.get('www-authenticate') ?? '', /invalid_token/)
    // The provider's own userinfo refuses it as a bearer token too.
    const userinfo = await fetch(`${op.issuer}/me`, {
      headers: { authorization: `Bearer ${stored.accessToken}` },
    })
    assert.equal(userinfo.status, 401)
    // The copied refresh token: refused at the token endpoint without the key's proof.
    const refresh = (headers: Record<string, string>) =>
      fetch(`${op.issuer}/token`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: stored.refreshToken,
          client_id: 'spa',
        }),
      })
    const noProof = await refresh({})
    assert.equal(noProof.status, 400)
    assert.equal(((await noProof.json()) as { error: string }).error, 'invalid_grant')
    const otherKey = await refresh({
      dpop: await thief.proof(thiefKey, { htm: 'POST', htu: `${op.issuer}/token` }),
    })
    assert.equal(otherKey.status, 400)
    console.log(
      `copied access token: as Bearer ${bearer.status}, with another key's proof ${stolen.status}, at userinfo ${userinfo.status}; copied refresh token: without proof ${noProof.status}, another key ${otherKey.status}`,
    )
    // The session itself still works: the thief's attempts spent nothing.
    assert.equal((await fetchMe(page, `${api.origin}/me`)).status, 200)
  })

  test('client.fetch: another origin rejects invalid_config and sends nothing; a redirect is not followed with the token; a retried body goes twice', async () => {
    const page = await newApp(context, harness.iife)
    assert.equal((await ready(page)).state?.status, 'signedIn')
    const elsewhere = await startResourceServer(op, { appOrigin: harness.app.origin })
    const redirecting = await startResourceServer(op, {
      appOrigin: harness.app.origin,
      redirectTo: `${elsewhere.origin}/me`,
    })
    try {
      const refused = await fetchMe(page, `${elsewhere.origin}/me`)
      assert.deepEqual(refused, { code: 'invalid_config' })
      const headers = await page.evaluate(
        (url) =>
          window.client.authorizationHeaders('GET', url).then(
            () => 'resolved',
            (error: { code: string }) => error.code,
          ),
        `${elsewhere.origin}/me`,
      )
      assert.equal(headers, 'invalid_config')
      assert.deepEqual(elsewhere.requests, [], 'nothing was sent')

      // Allowed, it answers a redirect to the other origin: the page gets it, unfollowed.
      await page.evaluate(
        (origins) => (window.client = window.makeClient({ dpop: true, apiOrigins: origins })),
        [api.origin, redirecting.origin],
      )
      await page.evaluate(() => window.client.init())
      const redirected = await fetchMe(page, `${redirecting.origin}/redirect`)
      assert.equal(redirected.type, 'opaqueredirect')
      assert.deepEqual(elsewhere.requests, [], 'the token did not follow the redirect')

      // A server whose nonce this page does not know yet: the POST is retried, body and all.
      redirecting.requests.length = 0
      const posted = await fetchMe(page, `${redirecting.origin}/me`, {
        method: 'POST',
        body: 'a body to send twice',
        headers: { 'content-type': 'text/plain' },
      })
      assert.equal(posted.status, 200, JSON.stringify(posted))
      assert.deepEqual(redirecting.requests.slice(-2), ['POST /me', 'POST /me'])
      assert.deepEqual(redirecting.bodies, ['a body to send twice', 'a body to send twice'])
    } finally {
      await elsewhere.close()
      await redirecting.close()
    }
  })

  // Hiding DPoP-Nonce: a clear token_error, one request. Hiding only WWW-Authenticate: the 401's
  // new nonce says enough, one retry.
  for (const expose of ['WWW-Authenticate', 'DPoP-Nonce'])
    test(`an API that demands a nonce and exposes only ${expose} to the page`, async () => {
      const page = await newApp(context, harness.iife)
      await ready(page)
      const hiding = await startResourceServer(op, { appOrigin: harness.app.origin, expose })
      try {
        await page.evaluate(
          (origins) => (window.client = window.makeClient({ dpop: true, apiOrigins: origins })),
          [hiding.origin],
        )
        await page.evaluate(() => window.client.init())
        const outcome = await page.evaluate(
          (url) =>
            window.client.fetch(url).then(
              (response: Response) => ({ status: response.status }),
              (error: { code: string; error: string; message: string }) => ({
                ...error,
                message: error.message,
              }),
            ),
          `${hiding.origin}/me`,
        )
        if (expose === 'DPoP-Nonce') {
          assert.deepEqual(outcome, { status: 200 })
          assert.deepEqual(hiding.requests.filter((request) => request === 'GET /me').length, 2)
          return
        }
        assert.ok(!('status' in outcome))
        assert.equal(outcome.code, 'token_error')
        assert.equal(outcome.error, 'use_dpop_nonce')
        assert.match(outcome.message, /Access-Control-Expose-Headers/)
        assert.deepEqual(hiding.requests, ['OPTIONS /me', 'GET /me'])
      } finally {
        await hiding.close()
      }
    })

  test('authorizationHeaders gives a DPoP token and a proof for that method and URL, as the browser would send them', async () => {
    const page = await newApp(context, harness.iife)
    await ready(page)
    // The API's nonce, as a client.fetch learns it: headers made later carry it.
    assert.equal((await fetchMe(page, `${api.origin}/me`)).status, 200)
    // As fetch and axios would: 'me' resolved against the page's <base>, 'get' sent as GET.
    const headers = await page.evaluate((base) => {
      document.head.append(Object.assign(document.createElement('base'), { href: base }))
      return window.client.authorizationHeaders('get', 'me')
    }, `${api.origin}/`)
    assert.match(headers.Authorization, /^DPoP /)
    const response = await fetch(`${api.origin}/me`, { headers })
    assert.equal(response.status, 200)
  })
})

describe('DPoP refused answers', { timeout: 60_000 }, () => {
  test('a Bearer token_type while DPoP is on is token_error, and nothing is stored', async () => {
    const context = await newContext()
    op.rewriteTokenResponse = async (body) => ({ ...body, token_type: 'Bearer' })
    try {
      const page = await newApp(context, harness.iife)
      await ready(page)
      const result = await logIn(page)
      assert.equal(result.ok, false)
      assert.equal(result.code, 'token_error')
      assert.ok(!(await storedKeys(page)).includes(sessionKey()), 'no session stored')
    } finally {
      delete op.rewriteTokenResponse
      await context.close()
    }
  })

  test('login() without ES256 in dpop_signing_alg_values_supported is invalid_config', async () => {
    const context = await newContext()
    const page = await newApp(context, harness.iife)
    await ready(page)
    const metadata = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()
    const code = await page.evaluate(
      (metadata) =>
        window
          .makeClient({
            dpop: true,
            metadata: { ...metadata, dpop_signing_alg_values_supported: ['EdDSA'] },
          })
          .createLoginUrl()
          .then(
            () => 'resolved',
            (error: { code: string }) => error.code,
          ),
      metadata,
    )
    assert.equal(code, 'invalid_config')
    await context.close()
  })
})

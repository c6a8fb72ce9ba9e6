import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { dpop } from '../../src/dpop.js'
import { chromeFlags } from '../support/browser.js'
import { startProvider, type TestProvider } from '../support/provider.js'
import { startResourceServer, type ResourceServer } from '../support/resource-server.js'
import {
  logIn,
  makeTokensExpiring,
  newApp,
  ready,
  recordKey,
  startHarness,
  stopHarness,
  storedKeys,
  type Harness,
} from './app.js'

// A short access-token lifetime, so that tokens start expiring after half of it (45 s).
const accessTokenTtl = 90

let harness: Harness
let op: TestProvider
let api: ResourceServer
// CORS as browsers do it: Playwright answers preflights itself while any route is set, so these
// pages run without routes, in a browser that resolves no host name but localhost.
let browser: Browser

before(async () => {
  harness = await startHarness({ accessTokenTtl })
  op = harness.op
  api = await startResourceServer(op, { appOrigin: harness.app.origin })
  browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: [
      ...chromeFlags,
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
  })
})
after(async () => {
  await browser?.close()
  await api?.close()
  await stopHarness(harness)
})

const dpopClient = () => ({ dpop: true, apiOrigins: [api.origin] })

async function newContext(provider = op, client: Record<string, unknown> = dpopClient()) {
  const context = await browser.newContext()
  await context.addInitScript(({ issuer, client }) => (window.__testConfig = { issuer, client }), {
    issuer: provider.issuer,
    client,
  })
  return context
}

/** The stored session as the page sees it: its tokens, and what can be done with its key. */
function storedSession(page: Page, key: string) {
  return page.evaluate(async (key) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('oidc-browser')
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    const record = await new Promise<any>((resolve) => {
      const get = db.transaction('kv').objectStore('kv').get(key)
      get.onsuccess = () => resolve(get.result)
    })
    db.close()
    if (!record) return undefined
    const { privateKey, publicKey } = record.dpopKey ?? {}
    const exported = await crypto.subtle.exportKey('jwk', privateKey).then(
      () => 'exported',
      (error: Error) => error.name,
    )
    return {
      accessToken: record.accessToken as string,
      refreshToken: record.refreshToken as string,
      isCryptoKey: privateKey instanceof CryptoKey,
      extractable: privateKey.extractable as boolean,
      exported,
      publicJwk: (await crypto.subtle.exportKey('jwk', publicKey)) as JsonWebKey,
    }
  }, key)
}

const thumbprintOf = (jwk: JsonWebKey) => calculateJwkThumbprint(jwk as JWK)
const sessionKey = (provider = op) => recordKey(provider.issuer, 'session')
const fetchMe = (page: Page, url: string, init?: RequestInit) =>
  page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await window.client.fetch(url, init)
        return { status: response.status, type: response.type, body: await response.text() }
      } catch (error: any) {
        return { code: error.code as string }
      }
    },
    { url, init },
  )
const tokenRequests = (provider: TestProvider) =>
  provider.requests.filter((request) => request.endsWith(' /token'))

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

  test('an API that demands a nonce but hides DPoP-Nonce from the page: a clear token_error, one request', async () => {
    const page = await newApp(context, harness.iife)
    await ready(page)
    const hiding = await startResourceServer(op, {
      appOrigin: harness.app.origin,
      expose: 'WWW-Authenticate',
    })
    try {
      await page.evaluate(
        (origins) => (window.client = window.makeClient({ dpop: true, apiOrigins: origins })),
        [hiding.origin],
      )
      await page.evaluate(() => window.client.init())
      const failure = await page.evaluate(
        (url) =>
          window.client.fetch(url).then(
            () => undefined,
            (error: { code: string; error: string; message: string }) => ({
              ...error,
              message: error.message,
            }),
          ),
        `${hiding.origin}/me`,
      )
      assert.equal(failure?.code, 'token_error')
      assert.equal(failure?.error, 'use_dpop_nonce')
      assert.match(failure?.message ?? '', /Access-Control-Expose-Headers/)
      assert.deepEqual(hiding.requests, ['OPTIONS /me', 'GET /me'])
    } finally {
      await hiding.close()
    }
  })

  test('authorizationHeaders gives a DPoP token and a proof for that method and URL', async () => {
    const page = await newApp(context, harness.iife)
    await ready(page)
    // The API's nonce, as a client.fetch learns it: headers made later carry it.
    assert.equal((await fetchMe(page, `${api.origin}/me`)).status, 200)
    const headers = await page.evaluate(
      (url) => window.client.authorizationHeaders('GET', url),
      `${api.origin}/me`,
    )
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

/** Signed-in tabs on a paused page clock, as `signedInTabs` of app.ts makes them, with DPoP. */
async function signedInTabs(count: number) {
  const context = await newContext()
  await context.clock.install()
  const tabs = [await newApp(context, harness.iife)]
  await ready(tabs[0])
  assert.equal((await logIn(tabs[0])).ok, true)
  await context.clock.pauseAt(Date.now() + 1000)
  for (let i = 1; i < count; i++) {
    tabs.push(await newApp(context, harness.iife))
    assert.equal((await ready(tabs[i])).state?.status, 'signedIn')
  }
  return { context, tabs }
}

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

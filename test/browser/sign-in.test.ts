// Sign-in through the real oidc-provider with the script-tag build: the full login and its
// requests, a restore from IndexedDB, tampered records, and errors at the callback.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext } from 'playwright-core'
import type { TestProvider } from '../support/provider.js'
import {
  editRecord,
  issuerContext,
  logIn,
  newApp,
  ready,
  startHarness,
  stopHarness,
  storedKeys,
  type Harness,
  recordKey,
} from './app.js'

// The requests the library itself makes; the rest are the browser's navigations through the login pages.
const libraryRequests = (requests: string[]) =>
  requests.filter((request) => /\/(\.well-known\/openid-configuration|jwks|token)$/.test(request))

let browser: Browser
let op: TestProvider
let iife: string
let harness: Harness

const newContext = (): Promise<BrowserContext> => issuerContext(browser, op.issuer)

before(async () => {
  ;({ browser, op, iife } = harness = await startHarness())
})

after(() => stopHarness(harness))

describe('sign-in through a real provider (script-tag build)', { timeout: 60_000 }, () => {
  let context: BrowserContext
  before(async () => {
    context = await newContext()
  })
  after(() => context.close())

  test('full login through the login and consent pages; validated claims, no token in the state', async () => {
    const page = await newApp(context, iife)
    assert.equal((await ready(page)).state?.status, 'signedOut')
    let callbackUrl = ''
    page.on('request', (request) => {
      if (
        request.isNavigationRequest() &&
        request.url().startsWith(iife) &&
        request.url().includes('code=')
      )
        callbackUrl = request.url()
    })
    op.requests.length = 0
    const result = await logIn(page, { returnTo: '/inbox' })
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.equal(result.returnTo, '/inbox')
    const state = await page.evaluate(() => window.client.getState())
    assert.equal(state.status, 'signedIn')
    assert.equal(state.claims.sub, 'alice')
    assert.equal(state.claims.iss, op.issuer)
    assert.equal(typeof state.expiresAt, 'number')
    const token = await page.evaluate(() => window.client.getAccessToken())
    assert.ok(token.length > 10)
    assert.ok(!JSON.stringify(state).includes(token), 'no access token in the state')
    assert.deepEqual(libraryRequests(op.requests).sort(), [
      'GET /.well-known/openid-configuration',
      'GET /jwks',
      'POST /token',
    ])
    assert.ok(
      !page.url().includes('code=') && !page.url().includes('state='),
      'callback parameters removed',
    )
    assert.deepEqual(
      (await page.evaluate(() => window.events)).map((event) => event.type),
      ['signedin', 'change'],
    )
    assert.ok(callbackUrl.includes('state='), 'the callback URL was seen')

    // A callback URL works once: replaying it in another tab is refused, and the session that
    // tab holds stays as it was.
    const replay = await newApp(context, callbackUrl)
    const replayed = await ready(replay)
    assert.equal(replayed.code, 'invalid_callback')
    assert.equal(replayed.isOidcError, true)
    assert.equal(await replay.evaluate(() => window.client.getState().status), 'signedIn')
    await replay.close()

    // Reload restores the session from IndexedDB with zero requests to the provider, reading
    // the session, discovery and the key set in its first transaction.
    await context.addInitScript(() => {
      // esbuild (through tsx) may wrap named functions in `__name(…)`.
      ;(window as any).__name = (fn: unknown) => fn
      const reads: string[][] = ((window as unknown as { idbReads: string[][] }).idbReads = [])
      const { transaction } = IDBDatabase.prototype
      IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args) {
        const created = transaction.apply(this, args)
        const keys: string[] = []
        reads.push(keys)
        const { get } = created.objectStore('kv')
        created.objectStore('kv').get = function (this: IDBObjectStore, key) {
          keys.push(String(key).replace(/^\[.*?\]/, ''))
          return get.call(this, key)
        }
        return created
      }
    })
    op.requests.length = 0
    await page.reload()
    const restored = await ready(page)
    const firstRead = await page.evaluate(
      () => (window as unknown as { idbReads: string[][] }).idbReads[0],
    )
    assert.deepEqual(firstRead.sort(), ['discovery', 'jwks', 'session'])
    assert.equal(restored.state?.status, 'signedIn')
    assert.equal(restored.state?.claims?.sub, 'alice')
    assert.deepEqual(op.requests, [], 'reload made no request to the provider')
    assert.ok(
      (await page.evaluate(() => window.events)).some((event) => event.type === 'signedin'),
      'restore fires signedin',
    )

    // A second login with discovery and JWKS cached costs one library request: the token request.
    await page.evaluate(() => window.client.logout({ localOnly: true }))
    const fetches: string[] = []
    page.on('request', (request) => {
      if (['fetch', 'xhr'].includes(request.resourceType()) && request.url().startsWith(op.issuer))
        fetches.push(request.url())
    })
    op.requests.length = 0
    assert.equal((await logIn(page)).ok, true)
    assert.deepEqual(libraryRequests(op.requests), ['POST /token'])
    assert.deepEqual(fetches, [`${op.issuer}/token`])
    await page.close()
  })

  test('a tampered IndexedDB record gives signedOut and is deleted', async () => {
    const page = await newApp(context, iife)
    await ready(page)
    if ((await page.evaluate(() => window.client.getState().status)) !== 'signedIn')
      assert.equal((await logIn(page)).ok, true)
    const key = recordKey(op.issuer, 'session')
    assert.ok((await storedKeys(page)).includes(key))
    // Swap the ID token's payload for one naming another user, keeping the signature.
    await editRecord(
      page,
      key,
      `const [h, p, s] = record.idToken.split('.')
       const claims = JSON.parse(atob(p.replace(/-/g, '+').replace(/_/g, '/')))
       claims.sub = 'mallory'
       const forged = btoa(JSON.stringify(claims)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')
       return { ...record, idToken: [h, forged, s].join('.') }`,
    )
    await page.reload()
    const result = await ready(page)
    assert.equal(result.state?.status, 'signedOut')
    assert.deepEqual(
      await page.evaluate(() => [
        window.client.getState().error.code,
        window.client.getState().error.reason,
      ]),
      ['id_token_invalid', 'signature'],
    )
    assert.ok(!(await storedKeys(page)).includes(key), 'the tampered record is gone')
    assert.ok(
      !(await page.evaluate(() => window.events)).some((event) => event.type === 'signedin'),
    )
    await page.close()
  })

  test('a record of another shape is discarded', async () => {
    const page = await newApp(context, iife)
    await ready(page)
    const key = recordKey(op.issuer, 'session')
    await editRecord(page, key, `return { v: 0, idToken: 42 }`)
    await page.reload()
    assert.equal((await ready(page)).state?.status, 'signedOut')
    assert.ok(!(await storedKeys(page)).includes(key))
    await page.close()
  })

  test('an error at the provider becomes authorization_error, and the transaction is spent', async () => {
    const page = await newApp(context, iife)
    await ready(page)
    const loginUrl = await page.evaluate(() => window.client.createLoginUrl())
    const state = new URL(loginUrl).searchParams.get('state')
    // What the provider sends back when the user cancels.
    await page.goto(
      `${iife}?error=access_denied&error_description=cancelled&state=${state}&iss=${encodeURIComponent(op.issuer)}`,
    )
    const result = await ready(page)
    assert.equal(result.code, 'authorization_error')
    const error = await page.evaluate(() => {
      const { error } = window.client.getState()
      return { code: error.code, error: error.error, description: error.errorDescription }
    })
    assert.deepEqual(error, {
      code: 'authorization_error',
      error: 'access_denied',
      description: 'cancelled',
    })
    assert.ok(!page.url().includes('error='), 'error parameters removed from the address bar')
    assert.ok(
      !(await storedKeys(page)).some((key) => key.endsWith(`tx:${state}`)),
      'transaction deleted',
    )
    await page.close()
  })

  test('an iss parameter of another issuer is issuer_mismatch', async () => {
    const page = await newApp(context, iife)
    await ready(page)
    const state = new URL(
      await page.evaluate(() => window.client.createLoginUrl()),
    ).searchParams.get('state')
    await page.goto(
      `${iife}?code=abc&state=${state}&iss=${encodeURIComponent('http://127.0.0.1:1')}`,
    )
    assert.equal((await ready(page)).code, 'issuer_mismatch')
    await page.close()
  })
})

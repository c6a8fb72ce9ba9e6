// The whole client attacked through real Chromium by a provider that breaks one thing at a
// time: every outcome is a typed OidcError with the SPEC's code, the state is signedOut, no
// session reaches IndexedDB, and no token shows in what the app can see or the console.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { base64url, CompactSign } from 'jose'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchBrowser, newLoopbackContext } from '../support/browser.js'
import {
  signJws,
  startRogueProvider,
  type Faults,
  type RogueProvider,
  type TokenAnswer,
} from '../support/rogue-provider.js'
import { startStaticServer, type StaticServer } from '../support/static-server.js'
import { claimNames } from '../unit/helpers.js'
import { newApp, ready, storedKeys, type HarnessResult } from './app.js'

const fuzzRuns = Number(process.env.BROWSER_FUZZ_RUNS ?? 300)
const jwtShaped = /eyJ[\w-]{4,}\.[\w-]{4,}/

let browser: Browser
let server: StaticServer
let rogue: RogueProvider
let iife: string

before(async () => {
  browser = await launchBrowser()
  server = await startStaticServer({ '/pages/': 'test/browser/pages', '/dist/': 'dist' })
  rogue = await startRogueProvider()
  iife = `${server.origin}/pages/iife.html`
})

after(async () => {
  await browser?.close()
  await server?.close()
  await rogue?.close()
})

async function newContext(): Promise<BrowserContext> {
  const context = await newLoopbackContext(browser)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), rogue.issuer)
  return context
}

/** Everything the app could see or print: event details, errors with their causes, console lines. */
async function visibleText(page: Page, consoleLines: string[]): Promise<string> {
  const audit = await page.evaluate(() => (window as unknown as { audit: string[] }).audit)
  const state = await page.evaluate(() => JSON.stringify(window.client.getState()))
  return [...audit, state, ...consoleLines].join('\n')
}

const hasSession = (keys: string[]) => keys.some((key) => key.endsWith(']session'))

/** A fresh tab logs in through the rogue provider with these faults; returns the callback's outcome. */
async function attack(faults: Faults) {
  rogue.faults = faults
  const context = await newContext()
  try {
    const page = await newApp(context, iife)
    const consoleLines: string[] = []
    page.on('console', (message) => consoleLines.push(message.text()))
    await ready(page)
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
    const result = await ready(page)
    return {
      result,
      status: await page.evaluate(() => window.client.getState().status),
      keys: await storedKeys(page),
      seen: await visibleText(page, consoleLines),
    }
  } finally {
    rogue.faults = {}
    await context.close()
  }
}

async function assertRejected(
  outcome: Awaited<ReturnType<typeof attack>>,
  code: string,
  reason?: string,
) {
  const { result, status, keys, seen } = outcome
  assert.equal(result.ok, false, 'the attack was accepted')
  assert.equal(result.code, code)
  if (reason) assert.equal(result.reason, reason)
  assert.equal(result.isOidcError, true)
  assert.equal(status, 'signedOut')
  assert.equal(hasSession(keys), false, `a session was stored: ${keys.join(', ')}`)
  assert.doesNotMatch(seen, jwtShaped)
}

// Header and payload of an ID token, to sign them again differently.
const partsOf = (token: string) => {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))))
  return { header, payload }
}
const unsigned = (header: unknown, payload: unknown) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`
const claims = (change: (payload: Record<string, unknown>) => void): Faults => ({
  idToken: ({ header, payload }) => {
    const changed = { ...payload }
    change(changed)
    return { header, payload: changed }
  },
})
const header = (extra: Record<string, unknown>): Faults => ({
  idToken: ({ header, payload }) => ({ header: { ...header, ...extra }, payload }),
})

describe('attacks through the browser', { timeout: 120_000 }, () => {
  test('the well-behaved rogue provider signs the user in (so each attack below breaks one thing)', async () => {
    const { result, keys } = await attack({})
    assert.equal(result.ok, true)
    assert.equal(result.state?.status, 'signedIn')
    assert.equal(hasSession(keys), true)
  })

  const idTokenAttacks: [string, Faults, string][] = [
    [
      'alg none, no signature',
      { idTokenString: (token) => unsigned({ alg: 'none' }, partsOf(token).payload) },
      'alg',
    ],
    [
      "HS256 with the provider's public key as the HMAC secret",
      {
        idTokenString: async (token) =>
          new CompactSign(new TextEncoder().encode(JSON.stringify(partsOf(token).payload)))
            .setProtectedHeader({ alg: 'HS256', kid: rogue.key.kid })
            .sign(new TextEncoder().encode(JSON.stringify(rogue.key.jwk))),
      },
      'alg',
    ],
    [
      "signed by another key under the provider's kid",
      {
        idTokenString: (token, { sign }) =>
          sign(partsOf(token).header, partsOf(token).payload, rogue.attackerKey),
      },
      'signature',
    ],
    [
      'signed by a key the token carries itself (jwk, jku, x5u headers)',
      {
        idTokenString: (token, { sign }) =>
          sign(
            {
              alg: 'RS256',
              kid: rogue.attackerKey.kid,
              jwk: rogue.attackerKey.jwk,
              jku: `${rogue.issuer}/attacker-jwks`,
              x5u: `${rogue.issuer}/attacker-cert`,
            },
            partsOf(token).payload,
            rogue.attackerKey,
          ),
      },
      'kid',
    ],

    ['a crit header', header({ crit: ['exp'], exp: 1 }), 'crit'],
    ['another issuer', claims((p) => (p.iss = 'https://evil.example')), 'iss'],
    ['another audience', claims((p) => (p.aud = 'other-client')), 'aud'],
    ['several audiences without azp', claims((p) => (p.aud = ['spa', 'other'])), 'azp'],
    ['azp of another client', claims((p) => (p.azp = 'other-client')), 'azp'],
    ['a nonce of another login', claims((p) => (p.nonce = 'replayed')), 'nonce'],
    ['no nonce', claims((p) => delete p.nonce), 'nonce'],
    ['expired', claims((p) => (p.exp = Math.floor(Date.now() / 1000) - 3600)), 'exp'],
    ['exp as a string', claims((p) => (p.exp = String(p.exp))), 'exp'],
    ['issued in the future', claims((p) => (p.iat = Math.floor(Date.now() / 1000) + 3600)), 'iat'],
    [
      'not valid before a future time',
      claims((p) => (p.nbf = Math.floor(Date.now() / 1000) + 3600)),
      'nbf',
    ],
    ['no sub', claims((p) => delete p.sub), 'sub'],
    ['sub as a number', claims((p) => (p.sub = 42)), 'sub'],
    [
      'at_hash of another access token',
      claims((p) => (p.at_hash = 'AAAAAAAAAAAAAAAAAAAAAA')),
      'at_hash',
    ],
    [
      'a signed payload that is not JSON',
      {
        idTokenString: () =>
          new CompactSign(new TextEncoder().encode('not json'))
            .setProtectedHeader({ alg: 'RS256', kid: rogue.key.kid })
            .sign(rogue.key.privateKey),
      },
      'malformed',
    ],
    [
      'two segments',
      { idTokenString: (token) => token.split('.').slice(0, 2).join('.') },
      'malformed',
    ],
  ]
  for (const [name, faults, reason] of idTokenAttacks) {
    // A kid the keys fetched a moment ago lack cannot be told from a key published since: it
    // is "cannot verify now" (jwks_error) until the refetch interval allows a look.
    const code = reason === 'kid' ? 'jwks_error' : 'id_token_invalid'
    test(`ID token: ${name} is ${code} (${reason})`, async () => {
      await assertRejected(await attack(faults), code, code === 'jwks_error' ? undefined : reason)
    })
  }

  const unusableKeys: [string, Faults][] = [
    [
      "the provider's key marked use: enc",
      { jwks: ({ keys }) => ({ keys: keys.map((k) => ({ ...k, use: 'enc' })) }) },
    ],
    [
      "the provider's key without verify in key_ops",
      { jwks: ({ keys }) => ({ keys: keys.map((k) => ({ ...k, key_ops: ['encrypt'] })) }) },
    ],
  ]
  for (const [name, faults] of unusableKeys) {
    test(`key set: ${name} is never used: no key fits (jwks_error)`, async () => {
      await assertRejected(await attack(faults), 'jwks_error')
    })
  }

  const keySetAttacks: [string, Faults][] = [
    [
      'no kid in the token and two keys that fit',
      {
        ...header({ kid: undefined }),
        jwks: ({ keys }) => ({ keys: [...keys, { ...rogue.attackerKey.jwk, kid: 'other' }] }),
      },
    ],
  ]
  for (const [name, faults] of keySetAttacks) {
    test(`key set: ${name} is id_token_invalid (kid)`, async () => {
      await assertRejected(await attack(faults), 'id_token_invalid', 'kid')
    })
  }

  test('key set: a JWKS without keys, or not JSON, is jwks_error', async () => {
    await assertRejected(await attack({ jwks: () => ({ keys: 'none' }) }), 'jwks_error')
    await assertRejected(await attack({ jwks: () => '<html>' }), 'jwks_error')
  })

  const tokenAttacks: [string, Faults][] = [
    [
      'no id_token',
      { tokenResponse: (a) => ({ ...a, body: { ...(a.body as object), id_token: undefined } }) },
    ],
    [
      "token_type 'mac'",
      { tokenResponse: (a) => ({ ...a, body: { ...(a.body as object), token_type: 'mac' } }) },
    ],
    [
      'access_token as a number',
      { tokenResponse: (a) => ({ ...a, body: { ...(a.body as object), access_token: 7 } }) },
    ],
    [
      'an HTML page',
      { tokenResponse: (a) => ({ ...a, contentType: 'text/html', body: '<html>' }) },
    ],
    ['a JSON array', { tokenResponse: (a) => ({ ...a, body: [a.body] }) }],
    ['a 500 with a valid body', { tokenResponse: (a) => ({ ...a, status: 500 }) }],
    ['4 MB that are not JSON', { tokenResponse: (a) => ({ ...a, body: 'x'.repeat(4 << 20) }) }],
  ]
  for (const [name, faults] of tokenAttacks) {
    test(`token response: ${name} is token_error`, async () => {
      await assertRejected(await attack(faults), 'token_error')
    })
  }

  const callbackAttacks: [string, Faults, string][] = [
    ['state twice', { callback: (q) => [...q, ['state', q[1][1]]] }, 'invalid_callback'],
    [
      'state of no login',
      { callback: (q) => q.map(([n, v]) => [n, n === 'state' ? 'forged' : v]) },
      'invalid_callback',
    ],
    [
      'a 10 kB non-ASCII state',
      { callback: (q) => q.map(([n, v]) => [n, n === 'state' ? 'é☃𝄞'.repeat(400) : v]) },
      'invalid_callback',
    ],
    [
      'iss of another issuer',
      { callback: (q) => [...q, ['iss', 'https://evil.example']] },
      'issuer_mismatch',
    ],
  ]
  for (const [name, faults, code] of callbackAttacks) {
    test(`callback URL: ${name} is ${code}`, async () => {
      await assertRejected(await attack(faults), code)
    })
  }

  test('callback URL: without code it is no callback; handled all the same it is invalid_callback', async () => {
    rogue.faults = { callback: (query) => query.filter(([name]) => name !== 'code') }
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
    assert.equal((await ready(page)).state?.status, 'signedOut')
    const code = await page.evaluate(() =>
      window.client.handleRedirectCallback().catch((error: { code: string }) => error.code),
    )
    assert.equal(code, 'invalid_callback')
    assert.equal(hasSession(await storedKeys(page)), false)
    await context.close()
    rogue.faults = {}
  })

  test('discovery of another issuer, or with a relative endpoint: login throws discovery_error before leaving', async () => {
    for (const discovery of [
      (d: Record<string, unknown>) => ({ ...d, issuer: 'https://evil.example' }),
      (d: Record<string, unknown>) => ({ ...d, authorization_endpoint: '/authorize' }),
    ]) {
      rogue.faults = { discovery }
      const context = await newContext()
      const page = await newApp(context, iife)
      await ready(page)
      const code = await page.evaluate(() =>
        window.client.login().catch((error: { code: string }) => error.code),
      )
      assert.equal(code, 'discovery_error')
      assert.equal(new URL(page.url()).origin, server.origin, 'the page navigated away')
      assert.deepEqual(await storedKeys(page), [])
      await context.close()
    }
    rogue.faults = {}
  })

  test('a token endpoint that never answers: token_error after 10 s, nothing stored', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    const loginUrl = await page.evaluate(() => window.client.createLoginUrl())
    rogue.faults = { silentToken: true }
    try {
      const outcome = await page.evaluate(async (url) => {
        const hang = new Promise((resolve) => setTimeout(() => resolve('hang'), 20_000))
        const result = window.client.handleRedirectCallback(url).then(
          () => 'signedIn',
          (error: any) => error.code,
        )
        return Promise.race([result, hang])
      }, rogue.callbackUrl(loginUrl))
      assert.equal(outcome, 'token_error')
    } finally {
      rogue.faults = {}
    }
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    assert.ok(!(await storedKeys(page)).some((key) => key.endsWith(']session')))
    await context.close()
  })

  test('a callback URL replayed after a successful login is invalid_callback', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
    assert.equal((await ready(page)).ok, true)
    const replay = await newApp(context, rogue.callbacks.at(-1)!)
    const result: HarnessResult = await ready(replay)
    assert.equal(result.code, 'invalid_callback')
    await context.close()
  })
})

const specCodes = [
  'invalid_config',
  'discovery_error',
  'invalid_callback',
  'issuer_mismatch',
  'authorization_error',
  'token_error',
  'id_token_invalid',
  'jwks_error',
  'login_required',
  'storage_error',
]
const headerNames = ['alg', 'kid', 'crit', 'jku', 'jwk', 'x5c', 'typ']
const responseFields = [
  'access_token',
  'token_type',
  'id_token',
  'expires_in',
  'refresh_token',
  'scope',
]
type Query = [string, string][]
const json = fc.jsonValue({ maxDepth: 2 })
const setOrDelete = (target: Record<string, unknown>, name: string, value: unknown) => {
  if (value === undefined) delete target[name]
  else target[name] = value
}

/** One random fault of any kind the rogue provider can commit. */
const faultArbitrary: fc.Arbitrary<Faults> = fc.oneof(
  // The ID token's characters: one changed, or cut short, or a segment more.
  fc
    .record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      char: fc.constantFrom('A', '-', '_', '.', '=', '+', '/', 'é', '\u0000', ' '),
    })
    .map(({ at, char }) => ({
      idTokenString: (token: string) => {
        const i = Math.floor(at * token.length)
        return token.slice(0, i) + char + token.slice(i + 1)
      },
    })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((at) => ({
    idTokenString: (token: string) => token.slice(0, Math.floor(at * token.length)),
  })),
  fc
    .constantFrom('.', '.x', '..')
    .map((extra) => ({ idTokenString: (token: string) => token + extra })),
  // A claim of any JSON type, or none, signed by the provider's own key.
  fc
    .record({ name: fc.constantFrom(...claimNames), value: fc.option(json, { nil: undefined }) })
    .map(({ name, value }) => claims((payload) => setOrDelete(payload, name, value))),
  // A header parameter of any JSON type, signed when jose can, else left unsigned.
  fc
    .record({ name: fc.constantFrom(...headerNames), value: fc.option(json, { nil: undefined }) })
    .map(({ name, value }) => ({
      idTokenString: async (token: string, { sign }: { sign: typeof signJws }) => {
        const { header, payload } = partsOf(token)
        setOrDelete(header, name, value)
        return sign(header, payload, rogue.key).catch(() => unsigned(header, payload) + 'c2ln')
      },
    })),
  // The token response: a field of any JSON type or none, another body, status or type.
  fc
    .record({
      name: fc.constantFrom(...responseFields),
      value: fc.option(json, { nil: undefined }),
    })
    .map(({ name, value }) => ({
      tokenResponse: (answer: TokenAnswer) => {
        const body = { ...(answer.body as Record<string, unknown>) }
        setOrDelete(body, name, value)
        return { ...answer, body }
      },
    })),
  json.map((body) => ({
    tokenResponse: (answer: TokenAnswer) => ({ ...answer, body: JSON.stringify(body) }),
  })),
  fc.constantFrom(201, 202, 400, 401, 403, 404, 500, 503).map((status) => ({
    tokenResponse: (answer: TokenAnswer) => ({ ...answer, status }),
  })),
  fc.constantFrom('text/plain', 'text/html', 'application/jwt').map((contentType) => ({
    tokenResponse: (answer: TokenAnswer) => ({ ...answer, contentType }),
  })),
  // The callback URL: parameters repeated, dropped, or added with any names and values.
  fc.constantFrom('code', 'state').map((name) => ({
    callback: (query: Query) => [...query, ...query.filter(([n]) => n === name)],
  })),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('iss', 'error', 'error_description', 'session_state', 'code', 'x'),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((extra) => ({ callback: (query: Query) => [...query, ...extra] })),
)

describe(`fuzzing through the browser, ${fuzzRuns} cases`, { timeout: 300_000 }, () => {
  let context: BrowserContext
  let page: Page
  before(async () => {
    context = await newContext()
    page = await newApp(context, iife)
    await ready(page)
  })
  after(() => context.close())

  /** One login completed in the page against the rogue provider with these faults; no navigation. */
  async function callback(faults: Faults) {
    const loginUrl = await page.evaluate(() => window.client.createLoginUrl())
    rogue.faults = faults
    try {
      const url = rogue.callbackUrl(loginUrl)
      const outcome = await page.evaluate(async (url) => {
        const hang = new Promise((_, reject) => setTimeout(() => reject(new Error('hang')), 10_000))
        try {
          await Promise.race([window.client.handleRedirectCallback(url), hang])
          return { ok: true, status: window.client.getState().status }
        } catch (error) {
          const { code } = error as { code?: string }
          return {
            ok: false,
            status: window.client.getState().status,
            code,
            isOidcError: window.lib.isOidcError(error) as boolean,
            text: (window as unknown as { describeError(e: unknown): string }).describeError(error),
          }
        }
      }, url)
      const stored = hasSession(await storedKeys(page))
      if (outcome.ok) await page.evaluate(() => window.client.logout({ localOnly: true }))
      return { ...outcome, stored }
    } finally {
      rogue.faults = {}
    }
  }

  test('the unmutated login is accepted; every mutation ends signed in or in an OidcError with nothing stored', async () => {
    const clean = await callback({})
    assert.deepEqual(clean, { ok: true, status: 'signedIn', stored: true })
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(faultArbitrary, async (faults) => {
        const outcome = await callback(faults)
        const label = outcome.ok ? 'accepted' : String(outcome.code)
        seen.set(label, (seen.get(label) ?? 0) + 1)
        if (outcome.ok) {
          assert.equal(outcome.status, 'signedIn')
          assert.equal(outcome.stored, true)
        } else {
          assert.equal(outcome.isOidcError, true, outcome.text)
          assert.ok(specCodes.includes(String(outcome.code)), outcome.text)
          assert.equal(outcome.status, 'signedOut')
          assert.equal(outcome.stored, false, 'a failed login left a session in IndexedDB')
          assert.doesNotMatch(String(outcome.text), jwtShaped)
        }
      }),
      { numRuns: fuzzRuns },
    )
    console.log(`browser fuzz outcomes: ${JSON.stringify(Object.fromEntries(seen))}`)
    // The mutations reach past the first checks: the ID token's rules and the token endpoint's.
    assert.ok((seen.get('id_token_invalid') ?? 0) > 0 && (seen.get('token_error') ?? 0) > 0)
  })
})

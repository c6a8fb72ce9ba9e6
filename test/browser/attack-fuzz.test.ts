// Random faults of every kind the rogue provider can commit, through real Chromium: each login
// ends signed in, or in a typed OidcError of the SPEC's codes with nothing stored and no token in
// its text. BROWSER_FUZZ_RUNS sets the number of cases (default 300).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import type { BrowserContext, Page } from 'playwright-core'
import {
  signJws,
  type Faults,
  type RogueProvider,
  type TokenAnswer,
} from '../support/rogue-provider.js'
import { claimNames } from '../unit/helpers.js'
import { newApp, ready, storedKeys } from './app.js'
import {
  attackHelpers,
  claims,
  hasSession,
  jwtShaped,
  partsOf,
  unsigned,
} from './attack-support.js'
import { startRogueHarness, stopRogueHarness, type RogueHarness } from './rogue-app.js'

const fuzzRuns = Number(process.env.BROWSER_FUZZ_RUNS ?? 300)

let harness: RogueHarness
let rogue: RogueProvider
let iife: string

before(async () => ({ rogue, iife } = harness = await startRogueHarness()))
after(() => stopRogueHarness(harness))

const { newContext } = attackHelpers(() => harness)

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

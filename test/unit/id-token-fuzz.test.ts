// Property-based attacks on ID token validation: whatever the token, its claims or its header,
// the outcome is a validated value or an OidcError with a SPEC code, never another exception.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import fc from 'fast-check'
import { validateIdToken } from '../../src/id-token.js'
import { claimNames, expectOidcError, makeKey, resolverOf, sign, type TestKey } from './helpers.js'

const runs = Number(process.env.FUZZ_RUNS ?? 1000)
const issuer = 'https://op.example.com'
const clientId = 'spa'
const now = 1_800_000_000

let key: TestKey
let token: string
const validClaims = {
  iss: issuer,
  aud: clientId,
  sub: 'user-1',
  exp: now + 300,
  iat: now - 10,
  nonce: 'n',
}
const validate = (candidate: string) =>
  validateIdToken(candidate, {
    issuer,
    clientId,
    now,
    tolerance: 60,
    nonce: 'n',
    accessToken: 'at',
    algorithms: ['RS256', 'ES256'],
    resolveKey: resolverOf([key.jwk]),
  })

before(async () => {
  key = await makeKey('RS256', 'k1')
  token = await sign(validClaims, key)
})

const decoded = (jws: string) =>
  jws
    .split('.')
    .map((segment) =>
      /^[\w-]*$/.test(segment) ? Buffer.from(segment, 'base64url').toString('hex') : segment,
    )
    .join('.')

const headerNames = ['alg', 'kid', 'crit', 'jku', 'jwk', 'x5c', 'b64', 'typ']

describe(`fuzzing, ${runs} cases each`, () => {
  test('the unmutated token is accepted', async () => {
    assert.equal((await validate(token)).sub, 'user-1')
  })

  test('a token changed in any way without re-signing is never accepted', async () => {
    const mutation = fc.oneof(
      // Flip one character anywhere, to any printable or non-ASCII one.
      fc
        .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))
        .map(([at, char]) => (t: string) => {
          const i = at % t.length
          return t[i] === char ? t : t.slice(0, i) + char + t.slice(i + 1)
        }),
      // Add or drop segments.
      fc
        .integer({ min: 0, max: 6 })
        .filter((n) => n !== 3)
        .map((n) => (t: string) => {
          const parts = t.split('.')
          return Array.from({ length: n }, (_, i) => parts[i % 3]).join('.')
        }),
      // Cut the token short.
      fc.nat().map((cut) => (t: string) => t.slice(0, cut % t.length)),
    )
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        const candidate = mutate(token)
        // A change in a segment's spare trailing bits decodes to the same bytes: not a mutation.
        fc.pre(decoded(candidate) !== decoded(token))
        try {
          await validate(candidate)
        } catch (error) {
          expectOidcError(error, ['id_token_invalid', 'jwks_error'])
          return
        }
        throw new Error('a mutated token was accepted')
      }),
      { numRuns: runs },
    )
  })

  test('re-signed tokens with claims of any JSON type: accepted only when every rule holds', async () => {
    const claimsArbitrary = fc.record(
      Object.fromEntries(
        claimNames.map((name) => [
          name,
          fc.oneof(
            fc.constant((validClaims as Record<string, unknown>)[name]),
            fc.jsonValue(),
            fc.constant(undefined),
          ),
        ]),
      ),
    )
    await fc.assert(
      fc.asyncProperty(claimsArbitrary, async (claims) => {
        const candidate = await sign(JSON.parse(JSON.stringify(claims)), key)
        let result: Awaited<ReturnType<typeof validate>>
        try {
          result = await validate(candidate)
        } catch (error) {
          expectOidcError(error, ['id_token_invalid'])
          return
        }
        // Accepted: then the rules held (an oracle written from the spec, not from the code).
        assert.equal(result.iss, issuer)
        const aud = typeof result.aud === 'string' ? [result.aud] : result.aud
        assert.ok(Array.isArray(aud) && aud.includes(clientId))
        if (aud.length > 1 || result.azp !== undefined) assert.equal(result.azp, clientId)
        assert.ok(typeof result.exp === 'number' && now < result.exp + 60)
        assert.ok(typeof result.iat === 'number' && result.iat <= now + 60)
        assert.ok(
          result.nbf === undefined || (typeof result.nbf === 'number' && result.nbf <= now + 60),
        )
        assert.ok(typeof result.sub === 'string' && result.sub !== '')
        assert.equal(result.nonce, 'n')
        assert.ok(result.auth_time === undefined || typeof result.auth_time === 'number')
        assert.ok(Object.isFrozen(result))
      }),
      { numRuns: Math.ceil(runs / 4) },
    )
  })

  test('headers of any shape never reach another key and never throw anything else', async () => {
    const headerArbitrary = fc.record(
      Object.fromEntries(
        headerNames.map((name) => [name, fc.oneof(fc.constant(undefined), fc.jsonValue())]),
      ),
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(headerArbitrary, async (header) => {
        // jose signs only with an alg matching the key; anything else is a forged, unsigned header.
        const [, payload, signature] = token.split('.')
        const encoded = Buffer.from(
          JSON.stringify({ alg: 'RS256', kid: 'k1', ...header }),
        ).toString('base64url')
        const candidate = `${encoded}.${payload}.${signature}`
        const same = candidate.split('.')[0] === token.split('.')[0]
        try {
          await validate(candidate)
        } catch (error) {
          expectOidcError(error, ['id_token_invalid', 'jwks_error'])
          return
        }
        assert.ok(same, 'only the original header verifies')
      }),
      { numRuns: runs },
    )
  })
})

// Property-based attacks on the pure validators: whatever the input, the outcome is a
// validated value or an OidcError with a SPEC code, never another exception.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import fc from 'fast-check'
import { readCallbackUrl } from '../../src/callback.js'
import { validateMetadata } from '../../src/discovery.js'
import { isOidcError, type OidcErrorCode } from '../../src/errors.js'
import { validateIdToken } from '../../src/id-token.js'
import { selectKey, validateJwks } from '../../src/jwks.js'
import { validateTokenResponse } from '../../src/token-endpoint.js'
import { claimNames, makeKey, resolverOf, sign, type TestKey } from './helpers.js'

const runs = Number(process.env.FUZZ_RUNS ?? 1000)
const issuer = 'https://op.example.com'
const clientId = 'spa'
const now = 1_800_000_000

function expectOidcError(error: unknown, codes: OidcErrorCode[]) {
  if (!isOidcError(error)) throw new Error(`not an OidcError: ${String(error)}`)
  assert.ok(codes.includes(error.code), `unexpected code ${error.code}`)
}

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

  test('callback URLs: parsed parameters or invalid_callback', () => {
    const redirectUri = 'https://app.example.com/cb'
    const param = fc.tuple(
      fc.constantFrom(
        'code',
        'state',
        'iss',
        'error',
        'error_description',
        'session_state',
        'x',
        '',
      ),
      fc.string({ unit: 'binary', maxLength: 50 }),
    )
    fc.assert(
      fc.property(
        fc.array(param, { maxLength: 8 }),
        fc.constantFrom(redirectUri, 'https://app.example.com/other'),
        (params, base) => {
          const url = `${base}?${new URLSearchParams(params).toString()}`
          try {
            const { state, params: read } = readCallbackUrl(url, redirectUri)
            assert.ok(state.length > 0)
            const names = params.map(([name]) => name)
            assert.equal(new Set(names).size, names.length, 'no repeated parameter got through')
            assert.equal(read.get('state'), state)
          } catch (error) {
            expectOidcError(error, ['invalid_callback'])
          }
        },
      ),
      { numRuns: runs },
    )
  })

  test('token responses of any shape: typed fields or token_error', () => {
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          access_token: fc.oneof(fc.string(), fc.jsonValue()),
          token_type: fc.oneof(
            fc.constantFrom('Bearer', 'bearer', 'DPoP', 'mac', ''),
            fc.jsonValue(),
          ),
          id_token: fc.oneof(fc.string(), fc.jsonValue()),
          expires_in: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
          refresh_token: fc.oneof(fc.string(), fc.jsonValue()),
          scope: fc.oneof(fc.string(), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    )
    fc.assert(
      fc.property(body, fc.boolean(), (value, requireIdToken) => {
        try {
          const response = validateTokenResponse(value, { requireIdToken })
          assert.equal(typeof response.access_token, 'string')
          assert.match(response.token_type, /^(bearer|dpop)$/i)
          if (requireIdToken) assert.equal(typeof response.id_token, 'string')
          for (const name of ['refresh_token', 'scope', 'id_token'] as const) {
            assert.ok(response[name] === undefined || typeof response[name] === 'string')
          }
          assert.ok(response.expires_in === undefined || Number.isFinite(response.expires_in))
        } catch (error) {
          expectOidcError(error, ['token_error'])
        }
      }),
      { numRuns: runs },
    )
  })

  test('discovery documents of any shape: checked metadata or discovery_error', () => {
    const url = fc.oneof(fc.webUrl(), fc.constant('https://op.example.com/x'), fc.jsonValue())
    const doc = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          issuer: fc.oneof(fc.constant(issuer), fc.jsonValue()),
          authorization_endpoint: url,
          token_endpoint: url,
          jwks_uri: url,
          end_session_endpoint: url,
          id_token_signing_alg_values_supported: fc.jsonValue(),
          authorization_response_iss_parameter_supported: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    )
    fc.assert(
      fc.property(doc, (value) => {
        try {
          const metadata = validateMetadata(value, issuer)
          assert.equal(metadata.issuer, issuer)
          for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
            assert.ok(
              new URL(metadata[name]).protocol === 'https:' ||
                new URL(metadata[name]).hostname === '127.0.0.1' ||
                new URL(metadata[name]).hostname === 'localhost',
            )
          }
        } catch (error) {
          expectOidcError(error, ['discovery_error'])
        }
      }),
      { numRuns: runs },
    )
  })

  test('key sets of any shape: a key list or jwks_error; key choice never throws anything else', () => {
    const jwk = fc.record(
      {
        kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct'), fc.jsonValue()),
        crv: fc.oneof(fc.constantFrom('P-256', 'Ed25519'), fc.jsonValue()),
        kid: fc.oneof(fc.constantFrom('k1', 'k2'), fc.jsonValue()),
        use: fc.oneof(fc.constantFrom('sig', 'enc'), fc.jsonValue()),
        alg: fc.oneof(fc.constantFrom('RS256', 'ES256'), fc.jsonValue()),
        key_ops: fc.oneof(fc.constant(['verify']), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    const set = fc.oneof(
      fc.jsonValue(),
      fc.record({ keys: fc.oneof(fc.array(fc.oneof(jwk, fc.jsonValue())), fc.jsonValue()) }),
    )
    fc.assert(
      fc.property(
        set,
        fc.constantFrom('RS256', 'ES256', 'EdDSA'),
        fc.option(fc.constantFrom('k1', 'k2')),
        (value, alg, kid) => {
          let keys
          try {
            keys = validateJwks(value)
          } catch (error) {
            expectOidcError(error, ['jwks_error'])
            return
          }
          try {
            const chosen = selectKey(keys, kid === null ? { alg } : { alg, kid })
            if (chosen) {
              assert.ok(chosen.use === undefined || chosen.use === 'sig')
              assert.ok(chosen.alg === undefined || chosen.alg === alg)
              if (kid !== null) assert.equal(chosen.kid, kid)
            }
          } catch (error) {
            expectOidcError(error, ['id_token_invalid'])
          }
        },
      ),
      { numRuns: runs },
    )
  })
})

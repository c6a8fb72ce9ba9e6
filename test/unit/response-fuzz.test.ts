// Property-based attacks on the validators of what the provider sends besides the ID token:
// whatever the callback URL, token response, discovery document or key set, the outcome is a
// validated value or an OidcError with a SPEC code, never another exception.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { readCallbackUrl } from '../../src/callback.js'
import { validateMetadata } from '../../src/discovery.js'
import { selectKey, validateJwks } from '../../src/jwks.js'
import { validateTokenResponse } from '../../src/token-endpoint.js'
import { expectOidcError } from './helpers.js'

const runs = Number(process.env.FUZZ_RUNS ?? 1000)
const issuer = 'https://op.example.com'

describe(`fuzzing, ${runs} cases each`, () => {
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

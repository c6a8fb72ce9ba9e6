import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { discoveryUrl, validateMetadata } from '../../src/discovery.js'
import { throwsWith } from './helpers.js'

const issuer = 'https://id.example.com'
const doc = {
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  end_session_endpoint: `${issuer}/logout`,
  id_token_signing_alg_values_supported: ['RS256', 'ES256'],
  authorization_response_iss_parameter_supported: true,
  extra: 'ignored',
}
const rejects = (value: unknown) =>
  throwsWith(() => validateMetadata(value, issuer), 'discovery_error')

describe('discovery (SPEC rule 6)', () => {
  test('a valid document keeps only the fields we use', () => {
    const metadata = validateMetadata(doc, issuer)
    assert.equal(metadata.token_endpoint, doc.token_endpoint)
    assert.equal('extra' in metadata, false)
  })
  test('not an object', () => {
    rejects(null)
    rejects([doc])
    rejects('doc')
  })
  test('issuer-mismatch, even by a trailing slash', () => rejects({ ...doc, issuer: `${issuer}/` }))
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
    test(`${name} missing, relative or not a string`, () => {
      rejects({ ...doc, [name]: undefined })
      rejects({ ...doc, [name]: '/relative' })
      rejects({ ...doc, [name]: 42 })
    })
  }
  test('an http endpoint off loopback', () =>
    rejects({ ...doc, token_endpoint: 'http://id.example.com/token' }))
  test('optional endpoints are type-checked', () =>
    rejects({ ...doc, end_session_endpoint: ['x'] }))
  test('algorithms must be an array of strings', () => {
    rejects({ ...doc, id_token_signing_alg_values_supported: 'RS256' })
    rejects({ ...doc, id_token_signing_alg_values_supported: ['RS256', 7] })
    rejects({ ...doc, dpop_signing_alg_values_supported: ['ES256', null] })
  })
  test('the iss parameter flag must be a boolean', () =>
    rejects({ ...doc, authorization_response_iss_parameter_supported: 'true' }))
  test('the discovery URL keeps the issuer path', () => {
    assert.equal(
      discoveryUrl('https://id.example.com/realms/a'),
      'https://id.example.com/realms/a/.well-known/openid-configuration',
    )
    assert.equal(
      discoveryUrl('https://id.example.com/'),
      'https://id.example.com/.well-known/openid-configuration',
    )
  })
})

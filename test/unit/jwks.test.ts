import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { allowedAlgorithms, selectKey, validateJwks } from '../../src/jwks.js'
import { throwsWith } from './helpers.js'

const rsa = { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'r1' }
const ec = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'e1' }
const okp = { kty: 'OKP', crv: 'Ed25519', x: 'x', kid: 'o1' }

describe('jwks', () => {
  test('a JWKS must be an object with a keys array', () => {
    throwsWith(() => validateJwks({}), 'jwks_error')
    throwsWith(() => validateJwks([rsa]), 'jwks_error')
    throwsWith(() => validateJwks(null), 'jwks_error')
    throwsWith(() => validateJwks({ keys: 'x' }), 'jwks_error')
    assert.deepEqual(validateJwks({ keys: [rsa, 'junk', null] }), [rsa])
  })
  test('only advertised asymmetric algorithms are allowed', () => {
    assert.deepEqual(allowedAlgorithms(['none', 'HS256', 'RS256', 'ES256']), ['RS256', 'ES256'])
    assert.deepEqual(allowedAlgorithms(undefined), ['RS256'])
  })
  test('a key is chosen by family and curve', () => {
    assert.equal(selectKey([rsa, ec, okp], { alg: 'ES256' }), ec)
    assert.equal(selectKey([rsa, ec, okp], { alg: 'EdDSA' }), okp)
    assert.equal(selectKey([rsa, ec, okp], { alg: 'PS256' }), rsa)
    assert.equal(selectKey([ec], { alg: 'ES384' }), undefined)
  })
  test('a key whose alg differs is not used', () =>
    assert.equal(selectKey([{ ...rsa, alg: 'RS512' }], { alg: 'RS256' }), undefined))
  test('use: enc is not used', () =>
    assert.equal(selectKey([{ ...rsa, use: 'enc' }], { alg: 'RS256' }), undefined))
  test('key_ops without verify is not used', () => {
    assert.equal(selectKey([{ ...rsa, key_ops: ['sign'] }], { alg: 'RS256' }), undefined)
    assert.equal(selectKey([{ ...rsa, key_ops: ['verify'] }], { alg: 'RS256' })?.kid, 'r1')
  })
  test('kid must match when given', () =>
    assert.equal(selectKey([rsa], { alg: 'RS256', kid: 'r2' }), undefined))
  test('several fitting keys are ambiguous', () => {
    throwsWith(() => selectKey([rsa, { ...rsa, kid: 'r2' }], { alg: 'RS256' }), 'id_token_invalid')
    throwsWith(() => selectKey([rsa, rsa], { alg: 'RS256', kid: 'r1' }), 'id_token_invalid')
  })
})

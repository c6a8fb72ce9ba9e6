// ID token claims (Core 3.1.3.7) in the spec's order, what the validators return, and the rules
// a refreshed ID token must keep (Core 12.2).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { before, describe, test } from 'node:test'
import {
  calculateAtHash,
  isValidatedClaims,
  validateIdToken,
  validateStoredIdToken,
  type IdTokenClaims,
} from '../../src/id-token.js'
import { makeKey, rejectsWith, resolverOf, sign } from './helpers.js'
import {
  accessToken,
  base,
  claims,
  clientId,
  issuer,
  makeProviderKey,
  now,
  rs256,
  tolerance,
  validate,
  without,
} from './id-token-support.js'

before(makeProviderKey)

describe('claims (Core 3.1.3.7)', () => {
  const rejectsClaims = async (
    payload: Record<string, unknown>,
    reason: Parameters<typeof rejectsWith>[2],
    extra = {},
  ) => rejectsWith(validate(await sign(payload, rs256), extra), 'id_token_invalid', reason)
  const accepts = async (payload: Record<string, unknown>, extra = {}) => {
    await validate(await sign(payload, rs256), extra)
  }

  test('wrong-iss is rejected', () => rejectsClaims(claims({ iss: `${issuer}/` }), 'iss'))
  test('aud-without-client-id is rejected', () => rejectsClaims(claims({ aud: 'other' }), 'aud'))
  test('aud-that-is-not-a-string is rejected', () =>
    rejectsClaims(claims({ aud: [clientId, 7], azp: clientId }), 'aud'))
  test('azp-required-with-multiple-aud', () =>
    rejectsClaims(claims({ aud: [clientId, 'api'] }), 'azp'))
  test('multiple-aud-with-azp is accepted', async () => {
    assert.deepEqual(
      (await validate(await sign(claims({ aud: [clientId, 'api'], azp: clientId }), rs256))).aud,
      [clientId, 'api'],
    )
  })
  test('azp-of-another-client is rejected', () => rejectsClaims(claims({ azp: 'other' }), 'azp'))

  test('exp: accepted one second before the tolerance runs out', () =>
    accepts(claims({ exp: now - tolerance + 1 })))
  test('exp: rejected when the tolerance runs out', () =>
    rejectsClaims(claims({ exp: now - tolerance }), 'exp'))
  test('exp: missing is rejected', () => rejectsClaims(without('exp'), 'exp'))
  test('exp: a string is rejected', () => rejectsClaims(claims({ exp: String(now + 300) }), 'exp'))

  test('iat: accepted exactly at the tolerance', () => accepts(claims({ iat: now + tolerance })))
  test('iat: one second past the tolerance is rejected', () =>
    rejectsClaims(claims({ iat: now + tolerance + 1 }), 'iat'))
  test('iat: missing is rejected', () => rejectsClaims(without('iat'), 'iat'))
  test('iat: a string is rejected', () => rejectsClaims(claims({ iat: String(now) }), 'iat'))

  test('nbf: accepted exactly at the tolerance', () => accepts(claims({ nbf: now + tolerance })))
  test('nbf: one second past the tolerance is rejected', () =>
    rejectsClaims(claims({ nbf: now + tolerance + 1 }), 'nbf'))
  test('nbf: a string is rejected', () => rejectsClaims(claims({ nbf: String(now) }), 'nbf'))

  test('sub: missing is rejected', () => rejectsClaims(without('sub'), 'sub'))
  test('sub: a number is rejected', () => rejectsClaims(claims({ sub: 42 }), 'sub'))
  test('sub: an empty string is rejected', () => rejectsClaims(claims({ sub: '' }), 'sub'))

  test('invalid-nonce is rejected', () => rejectsClaims(claims({ nonce: 'nonce-2' }), 'nonce'))
  test('missing-nonce is rejected', () => rejectsClaims(without('nonce'), 'nonce'))

  const maxAge = { maxAge: 300 }
  test('auth_time: required with maxAge', () => rejectsClaims(claims(), 'auth_time', maxAge))
  test('auth_time: accepted exactly at max_age plus the tolerance', () =>
    accepts(claims({ auth_time: now - 300 - tolerance }), maxAge))
  test('auth_time: one second older is rejected', () =>
    rejectsClaims(claims({ auth_time: now - 300 - tolerance - 1 }), 'auth_time', maxAge))
  test('auth_time: a string is rejected', () =>
    rejectsClaims(claims({ auth_time: String(now) }), 'auth_time'))

  for (const alg of ['RS256', 'ES384', 'EdDSA']) {
    test(`at_hash: matches with the hash of ${alg}`, async () => {
      const key = await makeKey(alg)
      const token = await sign(claims({ at_hash: await calculateAtHash(accessToken, alg) }), key)
      await validate(token, { resolveKey: resolverOf([key.jwk]) })
    })
  }
  test('at_hash: a hash of another access token is rejected', async () =>
    rejectsClaims(claims({ at_hash: await calculateAtHash('another-token', 'RS256') }), 'at_hash'))
  test('at_hash: computed with the wrong hash function is rejected', async () =>
    rejectsClaims(claims({ at_hash: await calculateAtHash(accessToken, 'RS512') }), 'at_hash'))
  test('at_hash: the left half of SHA-256 for RS256, and of SHA-512 for EdDSA', async () => {
    const half = (bits: string) => {
      const digest = createHash(`sha${bits}`).update(accessToken).digest()
      return digest.subarray(0, digest.length / 2).toString('base64url')
    }
    assert.equal(await calculateAtHash(accessToken, 'RS256'), half('256'))
    assert.equal(await calculateAtHash(accessToken, 'EdDSA'), half('512'))
  })
  test('at_hash: the right hash in an array is rejected', async () =>
    rejectsClaims(claims({ at_hash: [await calculateAtHash(accessToken, 'RS256')] }), 'at_hash'))

  test('checks run in the spec order: iss before exp', () =>
    rejectsClaims(claims({ iss: 'x', exp: 1 }), 'iss'))
  test('checks run in the spec order: signature before claims', async () => {
    const attacker = await makeKey('RS256', rs256.kid)
    await rejectsWith(
      validate(await sign(claims({ iss: 'x' }), attacker)),
      'id_token_invalid',
      'signature',
    )
  })
})

describe('what the validators return', () => {
  test('claims are deeply frozen and branded', async () => {
    const result = await validate(await sign(claims({ address: { country: 'NL' } }), rs256))
    assert.ok(Object.isFrozen(result) && Object.isFrozen(result.address))
    assert.ok(isValidatedClaims(result))
    assert.ok(!isValidatedClaims({ ...result }))
  })

  test('restore re-checks signature, iss and aud but not exp', async () => {
    const expired = await sign(claims({ exp: now - 86_400, iat: now - 90_000 }), rs256)
    const { resolveKey, algorithms } = base()
    assert.equal(
      (await validateStoredIdToken(expired, { issuer, clientId, resolveKey, algorithms })).sub,
      'user-1',
    )
    await rejectsWith(
      validateStoredIdToken(expired, { issuer, clientId: 'other', resolveKey, algorithms }),
      'id_token_invalid',
      'aud',
    )
    await rejectsWith(
      validateStoredIdToken(expired, { issuer: 'https://x', clientId, resolveKey, algorithms }),
      'id_token_invalid',
      'iss',
    )
    const [h, p] = expired.split('.')
    await rejectsWith(
      validateStoredIdToken(`${h}.${p}.AAAA`, { issuer, clientId, resolveKey, algorithms }),
      'id_token_invalid',
      'signature',
    )
  })
})

describe('refresh (Core 12.2)', () => {
  let previous: Readonly<IdTokenClaims>
  before(async () => {
    previous = await validate(await sign(claims({ auth_time: now - 100 }), rs256))
  })
  const refresh = async (payload: Record<string, unknown>) => {
    const { nonce: _, ...rest } = base()
    return validateIdToken(await sign(payload, rs256), { ...rest, previous })
  }

  test('the same user with a new exp is accepted, and the nonce is not compared', async () => {
    assert.equal(
      (await refresh(claims({ nonce: 'old-login-nonce', exp: now + 900 }))).exp,
      now + 900,
    )
  })
  test('a bad signature ends the session', async () => {
    const attacker = await makeKey('RS256', rs256.kid)
    const { nonce: _, ...rest } = base()
    const token = await sign(claims(), attacker)
    await rejectsWith(
      validateIdToken(token, { ...rest, previous }),
      'id_token_invalid',
      'signature',
    )
  })
  test('another-sub ends the session', () =>
    rejectsWith(refresh(claims({ sub: 'user-2' })), 'id_token_invalid', 'sub'))
  test('another-aud ends the session', () =>
    rejectsWith(
      refresh(claims({ aud: [clientId, 'api'], azp: clientId })),
      'id_token_invalid',
      'aud',
    ))
  test('another-iss ends the session', () =>
    rejectsWith(refresh(claims({ iss: 'https://x' })), 'id_token_invalid', 'iss'))
  test('an azp the original lacked ends the session', () =>
    rejectsWith(refresh(claims({ azp: clientId })), 'id_token_invalid', 'azp'))
  test("an azp is kept as the original's: the same is accepted, none ends the session", async () => {
    const { nonce: _, ...rest } = base()
    const original = await validate(await sign(claims({ azp: clientId }), rs256))
    const again = async (payload: Record<string, unknown>) =>
      validateIdToken(await sign(payload, rs256), { ...rest, previous: original })
    assert.equal((await again(claims({ azp: clientId }))).azp, clientId)
    await rejectsWith(again(claims()), 'id_token_invalid', 'azp')
  })
  test('another-auth_time ends the session', () =>
    rejectsWith(refresh(claims({ auth_time: now - 5 })), 'id_token_invalid', 'auth_time'))
  test('an expired refreshed token ends the session', () =>
    rejectsWith(refresh(claims({ exp: now - 3600 })), 'id_token_invalid', 'exp'))
})

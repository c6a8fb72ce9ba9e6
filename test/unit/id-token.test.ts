import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { CompactSign, SignJWT } from 'jose'
import {
  calculateAtHash,
  isValidatedClaims,
  validateIdToken,
  validateStoredIdToken,
  type IdTokenClaims,
} from '../../src/id-token.js'
import { makeKey, rawJws, rejectsWith, resolverOf, sign, type TestKey } from './helpers.js'

const issuer = 'https://op.example.com'
const clientId = 'spa'
const now = 1_800_000_000
const tolerance = 60
const accessToken = 'access-token-value'

let rs256: TestKey
const base = () => ({
  issuer,
  clientId,
  now,
  tolerance,
  nonce: 'nonce-1',
  accessToken,
  algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'],
  resolveKey: resolverOf([rs256.jwk]),
})
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer,
  aud: clientId,
  sub: 'user-1',
  exp: now + 300,
  iat: now - 10,
  nonce: 'nonce-1',
  ...extra,
})
const without = (name: string) => {
  const value: Record<string, unknown> = claims()
  delete value[name]
  return value
}
const validate = async (token: string, extra: Record<string, unknown> = {}) =>
  validateIdToken(token, { ...base(), ...extra })

before(async () => {
  rs256 = await makeKey('RS256')
})

describe('signature and key selection', () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519']) {
    test(`accepts a token signed with ${alg}`, async () => {
      const key = await makeKey(alg, `accepted-${alg}`)
      const result = await validate(await sign(claims(), key), {
        resolveKey: resolverOf([rs256.jwk, key.jwk]),
      })
      assert.equal(result.sub, 'user-1')
    })
  }

  test('alg-none is rejected', async () => {
    await rejectsWith(validate(rawJws({ alg: 'none' }, claims())), 'id_token_invalid', 'alg')
  })

  test('hs256-keyed-with-the-public-key is rejected', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(rs256.jwk))
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: rs256.kid })
      .sign(secret)
    await rejectsWith(
      validate(token, { algorithms: ['RS256', 'HS256'] }),
      'id_token_invalid',
      'alg',
    )
  })

  test('unadvertised-alg is rejected', async () => {
    const ps256 = await makeKey('PS256')
    const token = await sign(claims(), ps256)
    await rejectsWith(
      validate(token, { algorithms: ['RS256'], resolveKey: resolverOf([ps256.jwk]) }),
      'id_token_invalid',
      'alg',
    )
  })

  test('embedded-jwk-header is never used to find the key', async () => {
    const attacker = await makeKey('RS256', rs256.kid)
    const token = await sign(claims(), attacker, { jwk: attacker.jwk })
    await rejectsWith(validate(token), 'id_token_invalid', 'signature')
  })

  test('jku-and-x5c-headers are never used to find the key', async () => {
    const attacker = await makeKey('RS256')
    const token = await sign(claims(), attacker, {
      kid: undefined,
      jku: 'https://evil.example/jwks',
      x5c: ['MIIB'],
    })
    await rejectsWith(validate(token), 'id_token_invalid', 'signature')
  })

  test('a key that fails is looked up once more, and the fresh key verifies', async () => {
    const rotated = await makeKey('RS256', rs256.kid)
    const asked: boolean[] = []
    const resolveKey = async (_header: unknown, failed?: unknown) => {
      asked.push(failed !== undefined)
      return failed ? rotated.jwk : rs256.jwk
    }
    const result = await validate(await sign(claims(), rotated), { resolveKey })
    assert.equal(result.sub, 'user-1')
    assert.deepEqual(asked, [false, true])
  })

  test('crit-header is rejected', async () => {
    const token = await sign(claims(), rs256, { crit: ['exp'], exp: now + 300 })
    await rejectsWith(validate(token), 'id_token_invalid', 'crit')
  })

  test('crit-header naming an extension jose knows (b64) is rejected too', async () => {
    const token = await sign(claims(), rs256, { crit: ['b64'], b64: true })
    await rejectsWith(validate(token), 'id_token_invalid', 'crit')
  })

  test('unknown-kid is rejected', async () => {
    const token = await sign(claims(), rs256, { kid: 'other' })
    await rejectsWith(validate(token), 'id_token_invalid', 'kid')
  })

  test('no-kid-with-two-fitting-keys is rejected', async () => {
    const second = await makeKey('RS256', 'second')
    const token = await sign(claims(), rs256, { kid: undefined })
    await rejectsWith(
      validate(token, { resolveKey: resolverOf([rs256.jwk, second.jwk]) }),
      'id_token_invalid',
      'kid',
    )
  })

  test('no-kid-with-exactly-one-fitting-key is accepted', async () => {
    const es256 = await makeKey('ES256')
    const token = await sign(claims(), rs256, { kid: undefined })
    const result = await validate(token, { resolveKey: resolverOf([rs256.jwk, es256.jwk]) })
    assert.equal(result.iss, issuer)
  })

  test('key-marked-use-enc is never used', async () => {
    const token = await sign(claims(), rs256)
    await rejectsWith(
      validate(token, { resolveKey: resolverOf([{ ...rs256.jwk, use: 'enc' }]) }),
      'id_token_invalid',
      'kid',
    )
  })

  test('key-whose-key_ops-lack-verify is never used', async () => {
    const token = await sign(claims(), rs256)
    const jwk = { ...rs256.jwk, key_ops: ['encrypt'] }
    await rejectsWith(validate(token, { resolveKey: resolverOf([jwk]) }), 'id_token_invalid', 'kid')
  })

  test('tampered-payload fails the signature', async () => {
    const [header, , signature] = (await sign(claims(), rs256)).split('.')
    const forged = (await sign(claims({ sub: 'admin' }), rs256)).split('.')[1]
    await rejectsWith(validate(`${header}.${forged}.${signature}`), 'id_token_invalid', 'signature')
  })

  test('wrong-key-with-the-right-kid fails the signature', async () => {
    const attacker = await makeKey('RS256', rs256.kid)
    await rejectsWith(validate(await sign(claims(), attacker)), 'id_token_invalid', 'signature')
  })

  for (const [name, token] of [
    ['two segments', 'a.b'],
    ['a JWE', 'a.b.c.d.e'],
    ['a header that is not JSON', 'bm90LWpzb24.e30.c2ln'],
    ['not a string', 42 as unknown as string],
  ] as const) {
    test(`malformed token (${name}) is rejected`, async () => {
      await rejectsWith(validate(token), 'id_token_invalid', 'malformed')
    })
  }

  test('malformed: a signature that is not base64url', async () => {
    const [header, payload] = (await sign(claims(), rs256)).split('.')
    await rejectsWith(validate(`${header}.${payload}.!!!`), 'id_token_invalid', 'malformed')
  })

  test('malformed: a correctly signed payload that is not JSON', async () => {
    const token = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'RS256', kid: rs256.kid })
      .sign(rs256.privateKey)
    await rejectsWith(validate(token), 'id_token_invalid', 'malformed')
  })

  test('a provider key that jose cannot use is jwks_error, not a token fault', async () => {
    const weak = { ...rs256.jwk, n: 'AQAB' } // a 17-bit modulus: refused by jose
    await rejectsWith(
      validate(await sign(claims(), rs256), { resolveKey: resolverOf([weak]) }),
      'jwks_error',
    )
  })

  test('a kid that is not a string is refused before any key lookup', async () => {
    let lookups = 0
    const resolveKey = async (header: { alg: string; kid?: string }) => {
      lookups++
      return resolverOf([rs256.jwk])(header)
    }
    await rejectsWith(
      validate(await sign(claims(), rs256, { kid: 7 }), { resolveKey }),
      'id_token_invalid',
      'kid',
    )
    assert.equal(lookups, 0)
  })
})

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
  test('another-auth_time ends the session', () =>
    rejectsWith(refresh(claims({ auth_time: now - 5 })), 'id_token_invalid', 'auth_time'))
  test('an expired refreshed token ends the session', () =>
    rejectsWith(refresh(claims({ exp: now - 3600 })), 'id_token_invalid', 'exp'))
})

// ID token signatures and the choice of key: algorithms accepted and refused, headers that must
// never pick the key, kid rules, unusable keys, and malformed tokens.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { CompactSign, SignJWT } from 'jose'
import { makeKey, rawJws, rejectsWith, resolverOf, sign } from './helpers.js'
import { claims, issuer, makeProviderKey, now, rs256, validate } from './id-token-support.js'

before(makeProviderKey)

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

  test('malformed: a correctly signed payload that is JSON but no object', async () => {
    for (const payload of [[claims()], 'claims', 7, null])
      await rejectsWith(validate(await sign(payload, rs256)), 'id_token_invalid', 'malformed')
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

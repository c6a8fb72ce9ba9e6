import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { validateStoredIdToken } from '../../src/id-token.js'
import { makeKey, rejectsWith, sign } from './helpers.js'
import { issuer, keyA, keyB, setup } from './provider-fixture.js'

describe('a key the provider replaced under the same kid, or its only key', () => {
  // The provider's new key keeps the old kid; a token signed with it fails against the cached set.
  async function rotation(header: Record<string, unknown>) {
    let rotated = false
    const replacement = { ...keyB, kid: 'a', jwk: { ...keyB.jwk, kid: 'a' } }
    const context = setup({ jwks: () => ({ keys: [(rotated ? replacement : keyA).jwk] }) })
    const token = await sign({ iss: issuer, sub: 'alice', aud: 'spa' }, replacement, header)
    const verify = (idToken = token) =>
      validateStoredIdToken(idToken, {
        issuer,
        clientId: 'spa',
        algorithms: ['RS256'],
        resolveKey: context.provider.resolveKey,
      })
    await context.provider.resolveKey({ alg: 'RS256', kid: 'a' })
    rotated = true
    return {
      ...context,
      verify,
      jwksRequests: () => context.requests.filter((path) => path === '/jwks').length,
    }
  }

  for (const [name, header] of [
    ['same kid', {}],
    ['no kid', { kid: undefined }],
  ] as const) {
    test(`${name}: a failed signature looks in a refetched JWKS, at most once per 30 s`, async () => {
      const { verify, advance, jwksRequests } = await rotation(header)
      advance(29)
      await rejectsWith(verify(), 'id_token_invalid', 'signature')
      assert.equal(jwksRequests(), 1, 'no refetch within 30 s of the last one')
      advance(1)
      assert.equal((await verify()).sub, 'alice')
      assert.equal(jwksRequests(), 2)
      assert.equal((await verify()).sub, 'alice')
      assert.equal(jwksRequests(), 2, 'the refetched set is cached')
    })
  }

  test('a token whose signature fails against the refetched set too is still refused', async () => {
    const { advance, jwksRequests, verify } = await rotation({})
    const forged = await sign(
      { iss: issuer, sub: 'mallory', aud: 'spa' },
      await makeKey('RS256', 'a'),
    )
    advance(30)
    // A key the provider never published signed it: neither the cached nor the refetched set verifies it.
    await rejectsWith(verify(forged), 'id_token_invalid', 'signature')
    assert.equal(jwksRequests(), 2)
  })

  test('a malformed JWS makes no refetch: a fresh key set would not mend it', async () => {
    const { advance, jwksRequests, verify } = await rotation({})
    const [header, payload] = (await sign({ iss: issuer }, keyA)).split('.')
    advance(30)
    await rejectsWith(verify(`${header}.${payload}.not*base64url`), 'id_token_invalid', 'malformed')
    assert.equal(jwksRequests(), 1)
  })
})

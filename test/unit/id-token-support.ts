// The ID token tests' fixture: what a login expects, the provider's key, and claims that pass
// every rule until a test changes one.
import { validateIdToken } from '../../src/id-token.js'
import { makeKey, resolverOf, type TestKey } from './helpers.js'

export const issuer = 'https://op.example.com'
export const clientId = 'spa'
export const now = 1_800_000_000
export const tolerance = 60
export const accessToken = 'access-token-value'

// Set by makeProviderKey, which each test file runs in `before`; importers see it once set.
export let rs256: TestKey
export async function makeProviderKey() {
  rs256 = await makeKey('RS256')
}

export const base = () => ({
  issuer,
  clientId,
  now,
  tolerance,
  nonce: 'nonce-1',
  accessToken,
  algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'],
  resolveKey: resolverOf([rs256.jwk]),
})
export const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer,
  aud: clientId,
  sub: 'user-1',
  exp: now + 300,
  iat: now - 10,
  nonce: 'nonce-1',
  ...extra,
})
export const without = (name: string) => {
  const value: Record<string, unknown> = claims()
  delete value[name]
  return value
}
export const validate = async (token: string, extra: Record<string, unknown> = {}) =>
  validateIdToken(token, { ...base(), ...extra })

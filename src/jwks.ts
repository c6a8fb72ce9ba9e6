import type { JWK } from 'jose'
import { OidcError, idTokenInvalid } from './errors.js'

/** The signature algorithms an ID token may use: asymmetric only, never `none` or `HS*`. */
const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]

const curveOf: Record<string, string> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'Ed25519',
  Ed25519: 'Ed25519',
}

/**
 * The algorithms to accept: those the provider advertises (RS256 when it says nothing, as
 * Discovery 1.0 section 3 sets) that are asymmetric.
 */
export function allowedAlgorithms(advertised: string[] | undefined): string[] {
  return (advertised ?? ['RS256']).filter((alg) => asymmetricAlgorithms.includes(alg))
}

/** Checks a JWKS response: a JSON object with a `keys` array. Entries that are not objects are dropped. */
export function validateJwks(value: unknown): JWK[] {
  const keys = (value as { keys?: unknown } | null)?.keys
  if (typeof value !== 'object' || Array.isArray(value) || !Array.isArray(keys)) {
    throw new OidcError('jwks_error', 'the JWKS is not a JSON object with a "keys" array')
  }
  return keys.filter(
    (key): key is JWK => typeof key === 'object' && key !== null && !Array.isArray(key),
  )
}

function fitsAlgorithm(key: JWK, alg: string): boolean {
  if (key.use !== undefined && key.use !== 'sig') return false
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify')))
    return false
  if (key.alg !== undefined && key.alg !== alg) return false
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.kty === 'RSA'
  if (alg.startsWith('ES')) return key.kty === 'EC' && key.crv === curveOf[alg]
  return key.kty === 'OKP' && key.crv === curveOf[alg]
}

/**
 * The one key of the set that may verify a token with this header. `undefined` when none
 * fits (the caller may refetch the set once). Without `kid`, or with a `kid` several keys
 * share, more than one fitting key is ambiguous: we never try keys in turn.
 */
export function selectKey(keys: JWK[], header: { alg: string; kid?: string }): JWK | undefined {
  const fitting = keys.filter(
    (key) => fitsAlgorithm(key, header.alg) && (header.kid === undefined || key.kid === header.kid),
  )
  if (fitting.length > 1) throw idTokenInvalid('kid', 'several JWKS keys fit the ID token')
  return fitting[0]
}

import { compactVerify } from 'jose'
import { encode } from 'jose/base64url'
import type { JWK } from 'jose'
import { OidcError, idTokenInvalid, isOidcError, safeCause, type IdTokenCheck } from './errors.js'
import { deepFreeze } from './freeze.js'
import { allowedAlgorithms } from './jwks.js'

/** The payload of an ID token that passed validation. */
export interface IdTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  auth_time?: number
  nonce?: string
  azp?: string
  [claim: string]: unknown
}

/**
 * Finds the provider's key for a token header (jwks.ts); throws `id_token_invalid` with reason
 * `kid` when none. Given the key that failed to verify, it looks in a refetched JWKS when the
 * refetch interval allows, and otherwise returns that key.
 */
export type KeyResolver = (header: { alg: string; kid?: string }, failed?: JWK) => Promise<JWK>

export interface SignatureExpectations {
  /** Asymmetric algorithms the provider advertises. */
  algorithms: string[]
  resolveKey: KeyResolver
}

export interface AudienceExpectations {
  issuer: string
  clientId: string
}

export interface ClaimExpectations extends AudienceExpectations {
  /** Current time, epoch seconds. */
  now: number
  /** Clock tolerance, seconds. */
  tolerance: number
  /** The login transaction's nonce; a refresh passes none (Core 12.2). */
  nonce?: string
  maxAge?: number
  /** The access token issued with the ID token, for `at_hash`. */
  accessToken: string
  /** An `iat` or `nbf` ahead of this clock passes (it says this clock is behind); all else is checked. */
  clockBehind?: boolean
}

const prototypeNames = new Set(['__proto__', 'constructor', 'prototype'])

// Only this module can add to this set, so only its validators can mint claims the store accepts.
const validated = new WeakSet<object>()

// The failures of an `iat` or `nbf` that is a number, only ahead of this clock.
const ahead = new WeakSet<object>()

/** True for an ID token that failed only because its `iat` or `nbf` is ahead of this clock. */
export const isIssuedAhead = (error: unknown): boolean => ahead.has(error as object)

/** True for claims returned by one of this module's validators. */
export const isValidatedClaims = (value: unknown): value is Readonly<IdTokenClaims> =>
  // WeakSet.has answers false for a primitive.
  validated.has(value as object)

/**
 * Validates an ID token from a token response (OpenID Connect Core 3.1.3.7) and returns its
 * claims, frozen. With `previous`, it is a refresh (Core 12.2): the nonce is not compared, and
 * `iss`, `sub`, `aud`, `azp` (and `auth_time`, when both carry it) must be the session's. Throws
 * `OidcError('id_token_invalid')` naming the check.
 */
export async function validateIdToken(
  token: string,
  expectations: SignatureExpectations & ClaimExpectations & { previous?: IdTokenClaims },
): Promise<Readonly<IdTokenClaims>> {
  const { payload, alg } = await verifySignature(token, expectations)
  checkAudience(payload, expectations)
  checkSameUser(payload, expectations.previous)
  await checkClaims(payload, alg, expectations)
  return mint(payload)
}

/**
 * Re-validates a stored ID token on restore: signature, `iss`, `aud` (and `azp`). Its time
 * claims are not checked again: the session outlives the ID token. Nor is `at_hash`: the access
 * token it came with may have been refreshed since.
 */
export async function validateStoredIdToken(
  token: string,
  expectations: SignatureExpectations & AudienceExpectations,
): Promise<Readonly<IdTokenClaims>> {
  const { payload } = await verifySignature(token, expectations)
  checkAudience(payload, expectations)
  return mint(payload)
}

// A refreshed token names the session's user (Core 12.2): each claim equals the session's, and
// `azp` is absent from both or the same in both.
function checkSameUser(payload: Record<string, unknown>, previous?: IdTokenClaims) {
  const same = (claim: 'aud' | 'sub' | 'azp' | 'auth_time', equal: boolean) => {
    if (previous && !equal) throw idTokenInvalid(claim, `refreshed ID token has another "${claim}"`)
  }
  same('aud', audienceKey(payload.aud) === audienceKey(previous?.aud))
  same('sub', payload.sub === previous?.sub)
  same('azp', payload.azp === previous?.azp)
  same(
    'auth_time',
    previous?.auth_time === undefined ||
      payload.auth_time === undefined ||
      payload.auth_time === previous.auth_time,
  )
}

// The audience as a set: "c" and ["c"] are one audience, and order does not matter.
const audienceKey = (aud: unknown) =>
  JSON.stringify([...new Set(typeof aud === 'string' ? [aud] : (aud as string[]))].sort())

// The reason names the check, so the message need say no more.
function fail(reason: IdTokenCheck, cause?: unknown, isAhead = false): never {
  const error = idTokenInvalid(reason, `ID token failed the "${reason}" check`, cause)
  if (isAhead) ahead.add(error)
  throw error
}

async function verifySignature(token: string, { algorithms, resolveKey }: SignatureExpectations) {
  let header: { alg: string; kid?: string } | undefined
  let key: JWK | undefined
  // jose parses the protected header and hands it to this function to get the key; with
  // `fresh`, the key is the one a refetch found.
  const verify = (fresh?: JWK) =>
    compactVerify(token, async (parsed) => {
      if (fresh) return fresh
      // No JWS extension is understood here, so any "crit" is refused (RFC 7515 section 4.1.11).
      if ('crit' in parsed) fail('crit')
      const { alg, kid } = parsed
      // Filtered again here, so that no allow-list can ever let `none` or an HMAC algorithm through.
      if (typeof alg !== 'string' || !allowedAlgorithms(algorithms).includes(alg)) fail('alg')
      if (kid !== undefined && typeof kid !== 'string') fail('kid')
      // Only the provider's JWKS supplies keys: "jku", "jwk", "x5u" and "x5c" are never read.
      header = kid === undefined ? { alg } : { alg, kid }
      return (key = await resolveKey(header))
    }).catch((error: unknown) => {
      if (isOidcError(error)) throw error
      // jose's documented error codes, not its classes: importing those would bundle all fifteen.
      const { code } = error as { code?: unknown }
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') fail('signature')
      if (code === 'ERR_JWS_INVALID') fail('malformed', safeCause(error))
      // Before it asks for the key, jose refuses only a "crit" extension it does not know.
      if (!header) fail('crit', safeCause(error))
      throw new OidcError('jwks_error', 'the provider key could not be used', {
        cause: safeCause(error),
      })
    })
  let verified: Awaited<ReturnType<typeof compactVerify>>
  try {
    verified = await verify()
  } catch (error) {
    // The provider may have replaced its key under the same kid, or its only key: one fresh
    // look at its JWKS, at most once per refetch interval as for an unknown kid.
    const fresh =
      key && (error as OidcError).reason !== 'malformed' && (await resolveKey(header!, key))
    if (!fresh || fresh === key) throw error
    verified = await verify(fresh)
  }
  // The payload as verified, parsed once.
  let payload: Record<string, unknown> | undefined
  try {
    // Claims that could reach a prototype are dropped at every depth, before anything reads them.
    payload = JSON.parse(new TextDecoder().decode(verified.payload), (name, value) =>
      prototypeNames.has(name) ? undefined : value,
    )
  } catch {}
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) fail('malformed')
  return { payload, alg: header!.alg }
}

function checkAudience(
  payload: Record<string, unknown>,
  { issuer, clientId }: AudienceExpectations,
) {
  if (payload.iss !== issuer) fail('iss')
  const { aud, azp } = payload
  const audiences = typeof aud === 'string' ? [aud] : aud
  if (
    !Array.isArray(audiences) ||
    !audiences.every((value) => typeof value === 'string') ||
    !audiences.includes(clientId)
  ) {
    fail('aud')
  }
  if (audiences.length > 1 && azp === undefined) fail('azp')
  if (azp !== undefined && azp !== clientId) fail('azp')
}

// A JSON number: Number.isFinite is false for anything else, and never coerces.
const isNumber = Number.isFinite as (value: unknown) => value is number

async function checkClaims(
  payload: Record<string, unknown>,
  alg: string,
  expected: ClaimExpectations,
) {
  const { now, tolerance } = expected
  const { exp, iat, nbf, sub, nonce, auth_time, at_hash } = payload
  const isAhead = (time: number) => time > now + tolerance && !expected.clockBehind
  // Each time claim must be a JSON number and within the tolerance: one check, one reason.
  if (!isNumber(exp) || now >= exp + tolerance) fail('exp')
  if (!isNumber(iat)) fail('iat')
  if (isAhead(iat)) fail('iat', undefined, true)
  if (nbf !== undefined && !isNumber(nbf)) fail('nbf')
  if (isNumber(nbf) && isAhead(nbf)) fail('nbf', undefined, true)
  if (typeof sub !== 'string' || sub === '') fail('sub')
  if (expected.nonce !== undefined && nonce !== expected.nonce) fail('nonce')
  if (auth_time !== undefined && !isNumber(auth_time)) fail('auth_time')
  if (
    expected.maxAge !== undefined &&
    !(isNumber(auth_time) && now <= auth_time + expected.maxAge + tolerance)
  ) {
    fail('auth_time')
  }
  if (
    at_hash !== undefined &&
    (typeof at_hash !== 'string' || at_hash !== (await calculateAtHash(expected.accessToken, alg)))
  ) {
    fail('at_hash')
  }
}

/** Left half of the access token's hash with the ID token's hash function, base64url (Core 3.1.3.6). */
export async function calculateAtHash(accessToken: string, alg: string): Promise<string> {
  const bits = alg.startsWith('Ed') ? '512' : alg.slice(-3)
  const digest = new Uint8Array(
    await crypto.subtle.digest(`SHA-${bits}`, new TextEncoder().encode(accessToken)),
  )
  return encode(digest.slice(0, digest.length / 2))
}

function mint(payload: Record<string, unknown>): Readonly<IdTokenClaims> {
  const claims = deepFreeze(payload) as IdTokenClaims
  validated.add(claims)
  return claims
}

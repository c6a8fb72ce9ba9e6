import { dpopBinding, type Dpop } from './dpop-binding.js'
import { OidcError, isOidcError } from './errors.js'
import {
  isIssuedAhead,
  validateIdToken,
  type IdTokenClaims,
  type SignatureExpectations,
} from './id-token.js'
import { createSession, type Session } from './session.js'
import { fetchToken } from './token-endpoint.js'

export interface RefreshOptions extends SignatureExpectations {
  fetch: typeof fetch
  tokenEndpoint: string
  issuer: string
  clientId: string
  scope: string
  now: () => number
  tolerance: number
  session: Session & { refreshToken: string }
  /** The validated claims of the session being refreshed. */
  claims: Readonly<IdTokenClaims>
  /** With DPoP on, the refresh request carries a proof by the session's key. */
  dpop?: Dpop
}

export interface Refreshed {
  session: Session
  claims: Readonly<IdTokenClaims>
  /** Why the new ID token is not verified yet (its keys could not be had): the session keeps the previous claims. */
  pending?: OidcError
}

// A lifetime to assume when the provider names none: a minute, so that a refresh cannot loop.
const minimumAssumedLifetime = 60

/** True for a failure that says "cannot verify now", not "this token is bad". */
export const cannotVerifyNow = (error: unknown): boolean =>
  !isOidcError(error) || error.code === 'jwks_error' || error.code === 'discovery_error'

// A refreshed ID token issued "in the future" (a number ahead of this clock) says this clock is
// behind, or was set back: it passed every other check, and waits for its turn.
export const clockBehind = isIssuedAhead

/**
 * Spends the refresh token (RFC 6749 section 6) and returns the next session. A new ID token
 * must pass every login check but the nonce, for the same user (Core 12.2); without one, the
 * claims stay as they are. A new ID token that cannot be verified now is kept, marked
 * `unverified`: the old refresh token is spent, so the rotated tokens must not be lost.
 */
export async function refreshSession(options: RefreshOptions): Promise<Refreshed> {
  const { session, issuer, clientId, now } = options
  const tokens = await fetchToken(
    options.fetch,
    options.tokenEndpoint,
    {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: session.refreshToken,
      scope: session.scope ?? options.scope,
    },
    { requireIdToken: false, ...dpopBinding(options.dpop, session.dpopKey) },
  )
  let claims = options.claims
  let pending: OidcError | undefined
  if (tokens.id_token) {
    const expectations = {
      issuer,
      clientId,
      now: now(),
      tolerance: options.tolerance,
      accessToken: tokens.access_token,
      previous: options.claims,
      algorithms: options.algorithms,
      resolveKey: options.resolveKey,
    }
    try {
      claims = await validateIdToken(tokens.id_token, expectations)
    } catch (error) {
      // Ahead of this clock: every other check must pass now, or it really fails.
      if (clockBehind(error))
        await validateIdToken(tokens.id_token, { ...expectations, clockBehind: true })
      else if (!cannotVerifyNow(error)) throw error
      pending = new OidcError('jwks_error', 'the refreshed ID token cannot be verified now', {
        cause: error,
      })
    }
  }
  const issuedAt = now()
  // Without expires_in: the new ID token's life, or the previous token's, never a past expiry.
  const lifetime =
    tokens.expires_in ??
    Math.max(
      claims === options.claims ? session.expiresAt - session.issuedAt : claims.exp - issuedAt,
      minimumAssumedLifetime,
    )
  const scope = tokens.scope ?? session.scope
  // A pending ID token is checked with the access token it came with (`at_hash`): one that a
  // refresh without an ID token replaced leaves the old claims as they are.
  const pendingIdToken = pending ? tokens.id_token : undefined
  const next = createSession({
    idToken: pending || !tokens.id_token ? session.idToken : tokens.id_token,
    accessToken: tokens.access_token,
    // Without a new refresh token the old one stays valid (RFC 6749 section 6).
    refreshToken: tokens.refresh_token ?? session.refreshToken,
    issuedAt,
    signedInAt: session.signedInAt ?? session.issuedAt,
    expiresAt: issuedAt + lifetime,
    ...(scope === undefined ? {} : { scope }),
    ...(pendingIdToken === undefined ? {} : { pendingIdToken }),
    ...(session.dpopKey && { dpopKey: session.dpopKey }),
  })
  return pending ? { session: next, claims, pending } : { session: next, claims }
}

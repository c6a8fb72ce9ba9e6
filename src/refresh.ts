import { validateIdToken, type IdTokenClaims, type SignatureExpectations } from './id-token.js'
import type { Session } from './session.js'
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
}

/**
 * Spends the refresh token (RFC 6749 section 6) and returns the next session. A new ID token
 * must pass every login check but the nonce, for the same user (Core 12.2); without one, the
 * claims stay as they are.
 */
export async function refreshSession(
  options: RefreshOptions,
): Promise<{ session: Session; claims: Readonly<IdTokenClaims> }> {
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
    { requireIdToken: false },
  )
  const claims = tokens.id_token
    ? await validateIdToken(tokens.id_token, {
        issuer,
        clientId,
        now: now(),
        tolerance: options.tolerance,
        accessToken: tokens.access_token,
        previous: options.claims,
        algorithms: options.algorithms,
        resolveKey: options.resolveKey,
      })
    : options.claims
  const issuedAt = now()
  return {
    claims,
    session: {
      v: 1,
      idToken: tokens.id_token ?? session.idToken,
      accessToken: tokens.access_token,
      // Without a new refresh token the old one stays valid (RFC 6749 section 6).
      refreshToken: tokens.refresh_token ?? session.refreshToken,
      issuedAt,
      expiresAt: tokens.expires_in === undefined ? claims.exp : issuedAt + tokens.expires_in,
      ...((tokens.scope ?? session.scope) === undefined
        ? {}
        : { scope: tokens.scope ?? session.scope }),
    },
  }
}

import type { DpopBinding } from './dpop-binding.js'
import { OidcError } from './errors.js'
import { fetchJson } from './http.js'

/** The fields of a token response we use, each type-checked. */
export interface TokenResponse {
  access_token: string
  token_type: string
  id_token?: string
  refresh_token?: string
  expires_in?: number
  scope?: string
}

// What says the provider will never accept this grant again (some providers send 400 or 401 with
// an empty body); 5xx, 429, network failures and DPoP nonce or proof errors are transient.
const refusals = ['invalid_grant', 'invalid_client', 'unauthorized_client']
const refused = new WeakSet<object>()

/** True for a token endpoint answer that refuses the grant for good. */
export const isRefusal = (error: unknown): boolean => refused.has(error as object)

// RFC 6749 appendix A.12 and A.17: 1*VSCHAR. A token goes into headers, where a browser's
// error for a character that cannot would repeat the whole value.
const isTokenString = (value: unknown): value is string =>
  typeof value === 'string' && /^[\x20-\x7e]+$/.test(value)

function tokenError(message: string, options?: { error?: string; errorDescription?: string }) {
  return new OidcError('token_error', message, options)
}

/**
 * Checks a token response (RFC 6749 section 5.1): `access_token`, a Bearer or DPoP
 * `token_type`, and an `id_token` when `requireIdToken`. Returns a copy of the known fields.
 */
export function validateTokenResponse(
  body: unknown,
  { requireIdToken }: { requireIdToken: boolean },
): TokenResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw tokenError('token response is not a JSON object')
  const { access_token, token_type, id_token, refresh_token, expires_in, scope } = body as Record<
    string,
    unknown
  >
  if (!isTokenString(access_token))
    throw tokenError('token response has no "access_token" of printable ASCII')
  if (typeof token_type !== 'string' || !/^(bearer|dpop)$/i.test(token_type)) {
    throw tokenError('token response "token_type" is not Bearer or DPoP')
  }
  const response: TokenResponse = { access_token, token_type }
  if (id_token !== undefined || requireIdToken) {
    if (typeof id_token !== 'string' || id_token === '')
      throw tokenError('token response has no "id_token"')
    response.id_token = id_token
  }
  if (refresh_token !== undefined) {
    if (!isTokenString(refresh_token))
      throw tokenError('token response "refresh_token" is not printable ASCII')
    response.refresh_token = refresh_token
  }
  if (expires_in !== undefined) {
    if (typeof expires_in !== 'number' || !Number.isFinite(expires_in) || expires_in < 0) {
      throw tokenError('token response "expires_in" is not a number')
    }
    response.expires_in = expires_in
  }
  if (scope !== undefined) {
    if (typeof scope !== 'string') throw tokenError('token response "scope" is not a string')
    response.scope = scope
  }
  return response
}

/**
 * POSTs a grant to the token endpoint as a plain form (no extra header, so no CORS
 * preflight, unless a DPoP proof goes along) and validates the answer. A provider error keeps
 * only its `error` and `error_description`. With DPoP, a token of any other type is refused:
 * no silent downgrade to a bearer token.
 */
export async function fetchToken(
  fetchFn: typeof fetch,
  tokenEndpoint: string,
  grant: Record<string, string>,
  { requireIdToken, dpop }: { requireIdToken: boolean; dpop?: DpopBinding },
): Promise<TokenResponse> {
  const send: typeof fetch = dpop
    ? (input, init) => dpop.dpop.send(fetchFn, new Request(input, init), dpop.keyPair)
    : fetchFn
  const { ok, status, body } = await fetchJson(send, tokenEndpoint, 'token_error', {
    method: 'POST',
    body: new URLSearchParams(grant),
    // A 307 or 308 would send the code or refresh token on to wherever it points.
    redirect: 'manual',
  })
  if (!ok) {
    const { error, error_description } = (body ?? {}) as Record<string, unknown>
    const details: { error?: string; errorDescription?: string } = {}
    if (typeof error === 'string') details.error = error
    if (typeof error_description === 'string') details.errorDescription = error_description
    const failure = tokenError(
      `token endpoint answered HTTP ${status}${details.error ? ` (${details.error})` : ''}`,
      details,
    )
    if (
      refusals.includes(details.error as string) ||
      (details.error === undefined && (status === 400 || status === 401))
    )
      refused.add(failure)
    throw failure
  }
  const tokens = validateTokenResponse(body, { requireIdToken })
  if (dpop && !/^dpop$/i.test(tokens.token_type))
    throw tokenError('token response "token_type" is not DPoP')
  return tokens
}

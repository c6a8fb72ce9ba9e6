import { OidcError } from './errors.js'
import { parseUrl } from './url.js'

// Parameters an authorization response may add to the redirect URI (RFC 6749 4.1.2, RFC 9207, OIDC Session 1.0).
const responseParameters = [
  'code',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'session_state',
]

function isRedirectUri(url: URL, redirectUri: string): boolean {
  const expected = new URL(redirectUri)
  return url.origin === expected.origin && url.pathname === expected.pathname
}

/** True if `url` is the redirect URI carrying `state` and a `code` or an `error`. */
export function isCallbackUrl(url: string, redirectUri: string): boolean {
  const parsed = parseUrl(url)
  if (!parsed || !isRedirectUri(parsed, redirectUri)) return false
  const params = parsed.searchParams
  return params.has('state') && (params.has('code') || params.has('error'))
}

/**
 * Reads an authorization response (SPEC rule 1): the redirect URI with `state` exactly once,
 * and no response parameter repeated. Returns the response parameters.
 */
export function readCallbackUrl(
  url: string,
  redirectUri: string,
): { state: string; params: Map<string, string> } {
  const parsed = parseUrl(url)
  if (!parsed || !isRedirectUri(parsed, redirectUri))
    throw new OidcError('invalid_callback', 'URL is not the redirect URI')
  const own = new URL(redirectUri).searchParams
  const params = new Map<string, string>()
  for (const [name, value] of parsed.searchParams) {
    if (own.has(name) && own.get(name) === value) continue
    if (params.has(name))
      throw new OidcError('invalid_callback', `authorization response repeats "${name}"`)
    params.set(name, value)
  }
  const state = params.get('state')
  if (!state) throw new OidcError('invalid_callback', 'authorization response has no "state"')
  return { state, params }
}

/** The URL without the authorization response's parameters, for `history.replaceState`. */
export function stripCallbackParameters(url: string): string {
  const parsed = new URL(url)
  for (const name of responseParameters) parsed.searchParams.delete(name)
  return parsed.href
}

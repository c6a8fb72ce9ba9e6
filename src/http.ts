import { OidcError, isOidcError, safeCause, type OidcErrorCode } from './errors.js'

// A provider that never answers must not hold a callback, or the refresh lock of every tab.
const requestTimeoutMs = 10_000

export interface JsonResponse {
  ok: boolean
  status: number
  body: unknown
}

/**
 * One request whose answer must be JSON. A network failure, no answer within 10 s, or a 2xx
 * body that is not JSON is `OidcError(code)`; the status is left to the caller (an error
 * answer's unreadable body is `undefined`). The body never goes into an error.
 */
export async function fetchJson(
  fetchFn: typeof fetch,
  url: string,
  code: OidcErrorCode,
  init?: RequestInit,
): Promise<JsonResponse> {
  let response: Response
  try {
    response = await fetchFn(url, {
      ...init,
      credentials: 'omit',
      signal: AbortSignal.timeout(requestTimeoutMs),
    })
  } catch (error) {
    // A DPoP sender's own error (a nonce it cannot read) says more than "failed".
    if (isOidcError(error)) throw error
    throw requestError(code, url, 'failed', { cause: safeCause(error) })
  }
  const { ok, status } = response
  let body: unknown
  try {
    body = await response.json()
  } catch {
    // An error answer with no JSON body is still an answer: its status decides.
    if (ok) throw requestError(code, url, `answered HTTP ${status}, not JSON`)
  }
  return { ok, status, body }
}

// Messages name the origin only: a URL's path or query may carry more than it should show.
const requestError = (
  code: OidcErrorCode,
  url: string,
  what: string,
  options?: { cause: unknown },
) => new OidcError(code, `request to ${new URL(url).origin} ${what}`, options)

/**
 * A GET whose 2xx JSON body is returned; anything else is `OidcError(code)`. Never the HTTP
 * cache's copy unchecked: a JWKS the provider lets browsers keep for hours would otherwise hide
 * its new key from the refetch that an unknown `kid` asks for.
 */
export async function getJson(
  fetchFn: typeof fetch,
  url: string,
  code: OidcErrorCode,
): Promise<unknown> {
  const { ok, status, body } = await fetchJson(fetchFn, url, code, { cache: 'no-cache' })
  if (!ok) throw requestError(code, url, `answered HTTP ${status}`)
  return body
}

/** The stable codes an `OidcError` carries; `switch (err.code)` over them is exhaustive. */
export type OidcErrorCode =
  | 'invalid_config'
  | 'discovery_error'
  | 'invalid_callback'
  | 'issuer_mismatch'
  | 'authorization_error'
  | 'token_error'
  | 'id_token_invalid'
  | 'jwks_error'
  | 'login_required'
  | 'storage_error'
  | 'popup_blocked'
  | 'popup_closed'
  | 'popup_timeout'
  | 'userinfo_error'

/** Which ID-token check failed, on `id_token_invalid`. */
export type IdTokenCheck =
  | 'malformed'
  | 'crit'
  | 'alg'
  | 'kid'
  | 'signature'
  | 'iss'
  | 'aud'
  | 'azp'
  | 'exp'
  | 'iat'
  | 'nbf'
  | 'sub'
  | 'nonce'
  | 'auth_time'
  | 'at_hash'

export interface OidcErrorOptions {
  /** The check that failed, for `id_token_invalid`. */
  reason?: IdTokenCheck | undefined
  /** The provider's `error`, for `authorization_error` and `token_error`. */
  error?: string | undefined
  /** The provider's `error_description`, for `authorization_error` and `token_error`. */
  errorDescription?: string | undefined
  cause?: unknown
}

// Brand shared by every copy of this library on a page (npm bundle and script tag alike).
const brand = Symbol.for('oidc-browser.OidcError')

/**
 * The one error type of oidc-browser. Its message names the failed rule, never a token or a
 * value taken from one.
 *
 * @example
 * try { await client.handleRedirectCallback() } catch (e) { if (isOidcError(e)) show(e.code) }
 */
export class OidcError extends Error {
  override name = 'OidcError'
  readonly code: OidcErrorCode
  // Declared only: set when present, so an error carries no empty fields.
  declare readonly reason?: IdTokenCheck
  declare readonly error?: string
  declare readonly errorDescription?: string

  constructor(code: OidcErrorCode, message: string, options: OidcErrorOptions = {}) {
    // Error takes `cause` from the options and ignores the rest; an undefined one is no cause.
    super(message, options.cause === undefined ? {} : options)
    this.code = code
    for (const name of ['reason', 'error', 'errorDescription'] as const)
      if (options[name] !== undefined) (this as Record<string, unknown>)[name] = options[name]
    ;(this as { [brand]?: true })[brand] = true
  }
}

/** True for an `OidcError`, also one made by another copy of the library on the page. */
export function isOidcError(value: unknown): value is OidcError {
  return typeof value === 'object' && value !== null && brand in value
}

export function idTokenInvalid(reason: IdTokenCheck, message: string, cause?: unknown): OidcError {
  return new OidcError('id_token_invalid', message, { reason, cause })
}

/**
 * The cause to keep from a lower-level error: its name and message only, so that no response
 * body or token payload rides along (jose's claim errors carry the whole payload).
 */
export function safeCause(error: unknown): Error | undefined {
  if (isOidcError(error)) return error
  if (!(error instanceof Error)) return undefined
  const cause = new Error(error.message)
  cause.name = error.name
  return cause
}

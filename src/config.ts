import { OidcError } from './errors.js'
import { validateMetadata, type ProviderMetadata } from './discovery.js'
import type { Dpop } from './dpop-binding.js'
import { parseSecureUrl } from './url.js'

/** Options of `new OidcClient(options)`. */
export interface OidcClientOptions {
  /** The issuer identifier, exactly as the provider's metadata spells it. */
  issuer: string
  clientId: string
  /** Absolute URL the provider redirects back to. */
  redirectUri: string
  /** Space-separated scopes; `openid` is always added. Default `'openid'`. */
  scope?: string
  postLogoutRedirectUri?: string
  /** Leeway for `exp`, `iat`, `nbf` and `auth_time`. Default 60. */
  clockToleranceSeconds?: number
  /** Sends `max_age` and requires a recent enough `auth_time`. */
  maxAge?: number
  /** Static provider metadata: skips discovery. */
  metadata?: ProviderMetadata
  /** Where the session lives: `'indexeddb'` (default) or `'memory'` (this tab only). */
  persist?: 'indexeddb' | 'memory'
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch
  /** How long `loginWithPopup()` waits for the popup's answer. Default 300. */
  popupTimeoutSeconds?: number
  /** How long `signInSilently()` waits for the hidden iframe's answer. Default 10. */
  silentTimeoutSeconds?: number
  /** `dpop()` from this package: binds the tokens to a key that cannot leave the browser (RFC 9449). */
  dpop?: Dpop
  /** Origins `client.fetch` may send the access token to. Default: this page's origin. */
  apiOrigins?: string[]
}

export interface ResolvedConfig {
  issuer: string
  clientId: string
  redirectUri: string
  scope: string
  postLogoutRedirectUri?: string
  clockTolerance: number
  maxAge?: number
  metadata?: ProviderMetadata
  persist: 'indexeddb' | 'memory'
  fetch: typeof fetch
  popupTimeout: number
  silentTimeout: number
  dpop?: Dpop
  apiOrigins?: string[]
}

function invalid(message: string): OidcError {
  return new OidcError('invalid_config', message)
}

/**
 * `value` when it is a whole number of seconds from `min` to `max`, `fallback` when it is
 * undefined; else `invalid_config` naming `name`.
 */
export function requireSeconds<T extends number | undefined>(
  value: unknown,
  name: string,
  fallback: T,
  min = 0,
  max = Infinity,
): number | T {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    throw invalid(
      `"${name}" must be a whole number of seconds from ${min}${max < Infinity ? ` to ${max}` : ''}`,
    )
  return value as number
}

/** `value` when it is an object (not null); else `invalid_config` naming `name`. */
export function requireObject<T>(value: T, name: string): T {
  if (typeof value !== 'object' || value === null) throw invalid(`${name} must be an object`)
  return value
}

// How long a login transaction lives, seconds: a login's answer is taken only within it.
export const loginLifetime = 600

export function requireSecureUrl(options: Record<string, unknown>, name: string): string {
  const url = parseSecureUrl(options[name])
  if (!url) throw invalid(`"${name}" must be an absolute https URL (http only on a loopback host)`)
  // The string, not `url.hash`, which is empty for a bare "#".
  if ((options[name] as string).includes('#')) throw invalid(`"${name}" must not have a fragment`)
  return options[name] as string
}

/** Checks every option once, synchronously, and fills in the defaults. Does no I/O. */
export function validateConfig(input: OidcClientOptions): ResolvedConfig {
  const options = requireObject(input, 'options') as unknown as Record<string, unknown>
  const issuer = requireSecureUrl(options, 'issuer')
  if (issuer.includes('?')) throw invalid('"issuer" must not have a query')
  if (typeof options.clientId !== 'string' || options.clientId === '')
    throw invalid('"clientId" must be a non-empty string')
  const redirectUri = requireSecureUrl(options, 'redirectUri')
  const config: ResolvedConfig = {
    issuer,
    clientId: options.clientId,
    redirectUri,
    scope: resolveScope(options.scope),
    clockTolerance: requireSeconds(
      options.clockToleranceSeconds,
      'clockToleranceSeconds',
      60,
      0,
      600,
    ),
    persist: 'indexeddb',
    fetch: resolveFetch(options.fetch),
    // No longer than a login transaction lives: past that, the answer could not be taken.
    popupTimeout: requireSeconds(
      options.popupTimeoutSeconds,
      'popupTimeoutSeconds',
      300,
      1,
      loginLifetime,
    ),
    silentTimeout: requireSeconds(
      options.silentTimeoutSeconds,
      'silentTimeoutSeconds',
      10,
      1,
      loginLifetime,
    ),
  }
  if (options.postLogoutRedirectUri !== undefined) {
    config.postLogoutRedirectUri = requireSecureUrl(options, 'postLogoutRedirectUri')
  }
  if (options.maxAge !== undefined) config.maxAge = requireSeconds(options.maxAge, 'maxAge', 0)
  if (options.metadata !== undefined)
    config.metadata = validateMetadata(options.metadata, issuer, 'invalid_config')
  if (options.persist !== undefined) {
    if (options.persist !== 'indexeddb' && options.persist !== 'memory') {
      throw invalid('"persist" must be "indexeddb" or "memory"')
    }
    config.persist = options.persist
  }
  const dpop = options.dpop as Dpop | undefined
  if (dpop !== undefined) {
    const methods = ['generateKey', 'thumbprint', 'proof', 'send'] as const
    if (!methods.every((name) => typeof dpop?.[name] == 'function'))
      throw invalid('"dpop" must be what dpop() returns')
    config.dpop = dpop
  }
  const origins = options.apiOrigins
  if (origins !== undefined) {
    // Origins exactly as `URL.origin` spells them, so that a comparison is a string match.
    // Array.from turns holes (which `every` skips) into undefined, which must not pass as a failed
    // parse's undefined origin.
    if (
      !Array.isArray(origins) ||
      !Array.from(origins).every((o) => typeof o === 'string' && parseSecureUrl(o)?.origin === o)
    )
      throw invalid('"apiOrigins" must be an array of origins')
    config.apiOrigins = [...origins]
  }
  return config
}

function resolveScope(scope: unknown): string {
  if (scope === undefined) return 'openid'
  if (typeof scope !== 'string') throw invalid('"scope" must be a string')
  const scopes = new Set(scope.split(' ').filter(Boolean))
  scopes.delete('openid')
  return ['openid', ...scopes].join(' ')
}

function resolveFetch(fetchOption: unknown): typeof fetch {
  if (fetchOption === undefined) {
    // Bound: a native fetch called as a method of another object throws "Illegal invocation".
    return (input, init) => globalThis.fetch(input, init)
  }
  if (typeof fetchOption !== 'function') throw invalid('"fetch" must be a function')
  return fetchOption as typeof fetch
}

import { OidcError } from './errors.js'
import { parseSecureUrl } from './url.js'

/** The provider metadata oidc-browser reads (OpenID Connect Discovery 1.0, section 3). */
export interface ProviderMetadata {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  jwks_uri: string
  end_session_endpoint?: string
  revocation_endpoint?: string
  userinfo_endpoint?: string
  id_token_signing_alg_values_supported?: string[]
  authorization_response_iss_parameter_supported?: boolean
  dpop_signing_alg_values_supported?: string[]
}

// The first three are required.
const endpoints = [
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'end_session_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
]

/**
 * Checks a discovery document (SPEC rule 6) and returns a copy holding only the fields we
 * use, each of the right type. Throws `OidcError(code)` naming the first field at fault.
 */
export function validateMetadata(
  value: unknown,
  issuer: string,
  code: 'discovery_error' | 'invalid_config' = 'discovery_error',
): ProviderMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new OidcError(code, 'provider metadata is not a JSON object')
  const doc = value as Record<string, unknown>
  const metadata: Record<string, unknown> = {}
  // Checks the field `name` (skipped when optional and absent), then copies it.
  const take = (name: string, required: boolean, valid: boolean, rule: string) => {
    if (doc[name] === undefined && !required) return
    if (!valid) throw new OidcError(code, `"${name}" of the provider metadata ${rule}`)
    metadata[name] = Array.isArray(doc[name]) ? [...doc[name]] : doc[name]
  }
  take('issuer', true, doc.issuer === issuer, 'is not the configured issuer')
  endpoints.forEach((name, index) =>
    take(name, index < 3, !!parseSecureUrl(doc[name]), 'is not an absolute https URL'),
  )
  for (const name of [
    'id_token_signing_alg_values_supported',
    'dpop_signing_alg_values_supported',
  ]) {
    const algs = doc[name]
    take(
      name,
      false,
      Array.isArray(algs) && algs.every((alg) => typeof alg === 'string'),
      'is not an array of strings',
    )
  }
  take(
    'authorization_response_iss_parameter_supported',
    false,
    typeof doc.authorization_response_iss_parameter_supported === 'boolean',
    'is not a boolean',
  )
  return metadata as unknown as ProviderMetadata
}

/** Where the discovery document of an issuer lives, path included (Discovery 1.0, section 4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
}

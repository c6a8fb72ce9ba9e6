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

const requiredEndpoints = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const
const optionalEndpoints = [
  'end_session_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
] as const
const algorithmLists = [
  'id_token_signing_alg_values_supported',
  'dpop_signing_alg_values_supported',
] as const

/**
 * Checks a discovery document (SPEC rule 6) and returns a copy holding only the fields we
 * use, each of the right type. Throws `OidcError(code)` naming the first field at fault.
 */
export function validateMetadata(
  value: unknown,
  issuer: string,
  code: 'discovery_error' | 'invalid_config' = 'discovery_error',
): ProviderMetadata {
  const fail = (message: string) => new OidcError(code, message)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('provider metadata is not a JSON object')
  }
  const doc = value as Record<string, unknown>
  if (doc.issuer !== issuer)
    throw fail('"issuer" of the provider metadata is not the configured issuer')
  const metadata: Record<string, unknown> = { issuer }
  for (const name of requiredEndpoints) {
    if (!parseSecureUrl(doc[name]))
      throw fail(`"${name}" of the provider metadata is not an absolute https URL`)
    metadata[name] = doc[name]
  }
  for (const name of optionalEndpoints) {
    if (doc[name] === undefined) continue
    if (!parseSecureUrl(doc[name]))
      throw fail(`"${name}" of the provider metadata is not an absolute https URL`)
    metadata[name] = doc[name]
  }
  for (const name of algorithmLists) {
    const algs = doc[name]
    if (algs === undefined) continue
    if (!(Array.isArray(algs) && algs.every((alg) => typeof alg === 'string')))
      throw fail(`"${name}" of the provider metadata is of the wrong type`)
    metadata[name] = [...algs]
  }
  const issParam = doc.authorization_response_iss_parameter_supported
  if (issParam !== undefined && typeof issParam !== 'boolean') {
    throw fail(
      '"authorization_response_iss_parameter_supported" of the provider metadata is of the wrong type',
    )
  }
  if (issParam !== undefined) metadata.authorization_response_iss_parameter_supported = issParam
  return metadata as unknown as ProviderMetadata
}

/** Where the discovery document of an issuer lives, path included (Discovery 1.0, section 4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
}

import type { ResolvedConfig } from './config.js'
import type { ProviderMetadata } from './discovery.js'
import { OidcError } from './errors.js'

/** What `dpop()` returns: the signing half of DPoP (RFC 9449), which the client calls through. */
export interface Dpop {
  generateKey(): Promise<CryptoKeyPair>
  proof(
    keyPair: CryptoKeyPair,
    claims: { htm: string; htu: string; nonce?: string | undefined; accessToken?: string },
  ): Promise<string>
  thumbprint(publicKey: CryptoKey): Promise<string>
}

/** A key pair and the module that signs with it: what a request needs to carry proofs. */
export interface DpopBinding {
  dpop: Dpop
  keyPair: CryptoKeyPair
}

const isKey = (key: unknown, type: KeyType) =>
  typeof CryptoKey !== 'undefined' && key instanceof CryptoKey && key.type === type

/** True for a DPoP key pair as oidc-browser makes them: the private key cannot be exported. */
export function isDpopKeyPair(value: unknown): value is CryptoKeyPair {
  const pair = value as Partial<CryptoKeyPair> | undefined
  return (
    isKey(pair?.publicKey, 'public') &&
    isKey(pair?.privateKey, 'private') &&
    !pair?.privateKey?.extractable
  )
}

/** The binding of a session's key, when DPoP is on and the session has one. */
export function dpopBinding(dpop: Dpop | undefined, keyPair: CryptoKeyPair | undefined) {
  return dpop && keyPair ? { dpop: { dpop, keyPair } } : {}
}

/** With DPoP on, a login needs a provider that takes ES256 proofs. */
export function requireDpopSupport(config: ResolvedConfig, metadata: ProviderMetadata) {
  if (config.dpop && !metadata.dpop_signing_alg_values_supported?.includes('ES256'))
    throw new OidcError(
      'invalid_config',
      'DPoP is on, but the provider metadata has no "ES256" in "dpop_signing_alg_values_supported"',
    )
}

// The last nonce each server gave (RFC 9449 section 8), by origin: servers, not clients, own them.
export const nonces = new Map<string, string>()

async function demandsNonce(response: Response): Promise<boolean> {
  // A resource server says so in WWW-Authenticate (section 9), a token endpoint in its body (8).
  if (response.status === 401)
    return /error="?use_dpop_nonce/.test(response.headers.get('WWW-Authenticate') ?? '')
  if (response.status !== 400) return false
  const body = await response
    .clone()
    .json()
    .catch(() => undefined)
  return body?.error === 'use_dpop_nonce'
}

/**
 * Sends `request` with a fresh proof (with `ath` when `accessToken` goes along), and once more
 * with the server's new nonce when it answers `use_dpop_nonce`. The body is cloned first, so
 * that the retry can send it again.
 */
export async function sendWithProof(
  fetchFn: typeof fetch,
  request: Request,
  { dpop, keyPair }: DpopBinding,
  accessToken?: string,
): Promise<Response> {
  const { origin } = new URL(request.url)
  for (let retry = false; ; retry = true) {
    const headers = new Headers(request.headers)
    const claims = { htm: request.method, htu: request.url, nonce: nonces.get(origin) }
    headers.set(
      'DPoP',
      await dpop.proof(keyPair, accessToken ? { ...claims, accessToken } : claims),
    )
    const response = await fetchFn(new Request(retry ? request : request.clone(), { headers }))
    const nonce = response.headers.get('DPoP-Nonce')
    if (nonce) nonces.set(origin, nonce)
    if (retry || !(await demandsNonce(response))) return response
    if (!nonce)
      throw new OidcError(
        'token_error',
        `${origin} demands a DPoP nonce, but does not expose its "DPoP-Nonce" header (Access-Control-Expose-Headers)`,
        { error: 'use_dpop_nonce' },
      )
  }
}

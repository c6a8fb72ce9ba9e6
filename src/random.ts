import { base64url } from 'jose'

/** 32 random bytes from WebCrypto, base64url: used for `state`, `nonce` and the PKCE verifier. */
export function generateRandom(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)))
}

/** The PKCE S256 challenge of a verifier (RFC 7636 section 4.2). */
export async function calculateCodeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64url.encode(new Uint8Array(digest))
}

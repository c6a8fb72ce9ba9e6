// The subpath, not jose's `base64url` namespace, which a bundler keeps whole as an object.
import { encode } from 'jose/base64url'

/** 32 random bytes from WebCrypto, base64url: used for `state`, `nonce` and the PKCE verifier. */
export function generateRandom(): string {
  return encode(crypto.getRandomValues(new Uint8Array(32)))
}

/** The PKCE S256 challenge of a verifier (RFC 7636 section 4.2). */
export async function calculateCodeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return encode(new Uint8Array(digest))
}

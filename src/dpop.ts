import { SignJWT, calculateJwkThumbprint, exportJWK, type JWK } from 'jose'
import type { Dpop } from './dpop-binding.js'
import { calculateCodeChallenge, generateRandom } from './random.js'

// The public key's members only: WebCrypto adds `ext` and `key_ops`, which a proof needs not carry.
const publicJwk = async (publicKey: CryptoKey): Promise<JWK> => {
  const { kty, crv, x, y } = await exportJWK(publicKey)
  return { kty: kty!, crv, x, y } as JWK
}

/**
 * Turns DPoP (RFC 9449) on: `new OidcClient({ …, dpop: dpop() })`. Tokens are then bound to a
 * non-extractable ES256 key pair, so a copied token is useless at a server that checks the proof.
 * An app that does not call it carries none of this code.
 *
 * @example
 * const client = new OidcClient({ issuer, clientId, redirectUri, dpop: dpop() })
 * @see [RFC 9449](https://www.rfc-editor.org/rfc/rfc9449)
 */
export function dpop(): Dpop {
  return {
    // Non-extractable: the private key can sign in this browser profile, never leave it.
    generateKey: () =>
      crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']),
    thumbprint: async (publicKey) => calculateJwkThumbprint(await publicJwk(publicKey)),
    // RFC 9449 section 4.2: htu without query and fragment; ath when an access token goes along.
    async proof({ privateKey, publicKey }, { htm, htu, nonce, accessToken }) {
      const url = new URL(htu)
      url.search = url.hash = ''
      // The SHA-256 of the token, base64url: the same digest as a PKCE challenge.
      const ath = accessToken && (await calculateCodeChallenge(accessToken))
      return new SignJWT({ htm, htu: url.href, ...(nonce && { nonce }), ...(ath && { ath }) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await publicJwk(publicKey) })
        .setIssuedAt()
        .setJti(generateRandom())
        .sign(privateKey)
    },
  }
}

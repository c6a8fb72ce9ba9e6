import { CompactSign, calculateJwkThumbprint, exportJWK, type JWK } from 'jose'
import type { Dpop } from './dpop-binding.js'
import { OidcError } from './errors.js'
import { calculateCodeChallenge, generateRandom } from './random.js'

// The public key's members only: WebCrypto adds `ext` and `key_ops`, which a proof needs not carry.
const publicJwk = async (publicKey: CryptoKey): Promise<JWK> => {
  const { kty, crv, x, y } = await exportJWK(publicKey)
  return { kty, crv, x, y } as JWK
}

async function demandsNonce(response: Response, sent: string | undefined): Promise<boolean> {
  // A resource server says so in WWW-Authenticate (RFC 9449 section 9), a token endpoint in its body (8).
  if (response.status === 401) {
    const challenge = response.headers.get('WWW-Authenticate')
    // Not exposed to the page (CORS): a 401 that brings a nonce other than the one sent asks for it.
    if (challenge === null) return (response.headers.get('DPoP-Nonce') ?? sent) !== sent
    return /error="?use_dpop_nonce/.test(challenge)
  }
  const body =
    response.status === 400 &&
    (await response
      .clone()
      .json()
      .catch(() => 0))
  return body?.error === 'use_dpop_nonce'
}

/**
 * Turns DPoP (RFC 9449) on: `new OidcClient({ …, dpop: dpop() })`. The tokens are then bound to
 * a non-extractable ES256 key pair, so a copied token is useless at a server that checks the
 * proof. An app that does not call it carries none of this code.
 *
 * @example
 * const client = new OidcClient({ issuer, clientId, redirectUri, dpop: dpop() })
 * @see [RFC 9449](https://www.rfc-editor.org/rfc/rfc9449)
 */
export function dpop(): Dpop {
  // The last nonce each server gave (section 8), by origin: servers, not sessions, own them.
  const nonces = new Map<string, string>()
  const proof: Dpop['proof'] = async ({ privateKey, publicKey }, claims) => {
    // Section 4.2: htu without query and fragment; ath (the token's SHA-256, base64url, as a
    // PKCE challenge) when an access token goes along.
    const url = new URL(claims.htu)
    url.search = url.hash = ''
    const nonce = claims.nonce ?? nonces.get(url.origin)
    const { accessToken } = claims
    const payload = {
      jti: generateRandom(),
      htm: claims.htm,
      htu: url.href,
      iat: Math.floor(Date.now() / 1000),
      ...(nonce && { nonce }),
      ...(accessToken && { ath: await calculateCodeChallenge(accessToken) }),
    }
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await publicJwk(publicKey) })
      .sign(privateKey)
  }
  return {
    // Non-extractable: the private key can sign in this browser profile, never leave it.
    generateKey: () =>
      crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']),
    thumbprint: async (publicKey) => calculateJwkThumbprint(await publicJwk(publicKey)),
    proof,
    // The body is cloned before the first attempt, so that the retry can send it again.
    async send(fetchFn, request, keyPair, accessToken) {
      const { origin } = new URL(request.url)
      for (let retry = false; ; retry = true) {
        const sent = nonces.get(origin)
        const headers = new Headers(request.headers)
        const claims = { htm: request.method, htu: request.url }
        headers.set('DPoP', await proof(keyPair, accessToken ? { ...claims, accessToken } : claims))
        const response = await fetchFn(new Request(retry ? request : request.clone(), { headers }))
        const nonce = response.headers.get('DPoP-Nonce')
        if (nonce) nonces.set(origin, nonce)
        if (retry || !(await demandsNonce(response, sent))) return response
        if (!nonce)
          throw new OidcError(
            'token_error',
            `${origin} asks for a DPoP nonce, but does not expose "DPoP-Nonce" (Access-Control-Expose-Headers)`,
            { error: 'use_dpop_nonce' },
          )
      }
    },
  }
}

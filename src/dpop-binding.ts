import { OidcError } from './errors.js'

/**
 * What `dpop()` returns: DPoP (RFC 9449) as a module the client calls through, so that an app
 * without it carries none of its code.
 */
export interface Dpop {
  /** A new ES256 key pair whose private key cannot be exported. */
  generateKey(): Promise<CryptoKeyPair>
  /** The JWK thumbprint (RFC 7638) of a public key: `dpop_jkt`. */
  thumbprint(publicKey: CryptoKey): Promise<string>
  /** A proof; without `nonce`, the one `htu`'s server gave last. With `accessToken`, its `ath`. */
  proof(
    keyPair: CryptoKeyPair,
    claims: { htm: string; htu: string; nonce?: string; accessToken?: string },
  ): Promise<string>
  /** Sends `request` with a proof, and again with the new nonce if the server asks for one. */
  send(
    fetchFn: typeof fetch,
    request: Request,
    keyPair: CryptoKeyPair,
    accessToken?: string,
  ): Promise<Response>
}

/** A key pair and the module that signs with it: what a request needs to carry proofs. */
export interface DpopBinding {
  dpop: Dpop
  keyPair: CryptoKeyPair
}

const isKey = (key: unknown, type: KeyType) =>
  typeof CryptoKey !== 'undefined' && key instanceof CryptoKey && key.type === type

/** True for a DPoP key pair as oidc-browser makes them: the private key cannot be exported. */
export const isDpopKeyPair = (value: unknown): value is CryptoKeyPair =>
  isKey((value as CryptoKeyPair)?.publicKey, 'public') &&
  isKey((value as CryptoKeyPair).privateKey, 'private') &&
  !(value as CryptoKeyPair).privateKey.extractable

/**
 * The binding of a session's key when DPoP is on. A session without a key is not this client's,
 * and is never sent as Bearer: refused here too, not only where sessions are read.
 */
export function dpopBinding(
  dpop: Dpop | undefined,
  keyPair: CryptoKeyPair | undefined,
): { dpop?: DpopBinding } {
  if (!dpop) return {}
  if (!keyPair) throw new OidcError('login_required', 'the session has no DPoP key')
  return { dpop: { dpop, keyPair } }
}

// The misbehaving provider's parts a test names: its keys, what it is about to send, and the
// faults a test sets.
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose'

export interface SigningKey {
  alg: string
  kid: string
  privateKey: CryptoKey
  jwk: JWK
}

/** What the token endpoint is about to send, for a fault to change. */
export interface TokenAnswer {
  status: number
  contentType: string
  /** An object is sent as JSON, a string as it is. */
  body: unknown
  /** A `Location` header, for a redirect. */
  location?: string
  /** In place of `no-store`. */
  cacheControl?: string | undefined
}

export interface IdTokenParts {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

/** One thing to break; each hook gets what a good provider would send and returns what to send. */
export interface Faults {
  discovery?: (document: Record<string, unknown>) => unknown
  jwks?: (jwks: { keys: JWK[] }) => unknown
  /** The JWKS answer's `Cache-Control`, in place of `no-store`: browsers may then keep it. */
  jwksCacheControl?: string
  /** The redirect back to the app: the query parameters, in order (repeats allowed). */
  callback?: (params: [string, string][]) => [string, string][]
  /** Header and payload of the ID token, before signing; `grantType` is the request's. */
  idToken?: (parts: IdTokenParts, grantType: string) => IdTokenParts
  /** The signed ID token, or whatever the test puts in its place. */
  idTokenString?: (token: string, tools: { sign: typeof signJws }) => Promise<string> | string
  tokenResponse?: (answer: TokenAnswer, grantType: string) => TokenAnswer
  /** The userinfo endpoint's answer in place of `{ sub }` of the token's user. */
  userinfo?: (answer: TokenAnswer) => TokenAnswer
  /** Awaited before answering a request for this path: a test holds an answer this way. */
  hold?: (path: string) => Promise<void> | void
}

export interface RogueProvider {
  issuer: string
  /** The provider's first signing key (RS256, kid `rogue-1`) and one it never publishes. */
  key: SigningKey
  attackerKey: SigningKey
  /** Publishes a new key and signs with it from now on; the old one stays published. */
  rotateKey(): Promise<SigningKey>
  /** Signs with this published key from now on. */
  signWith(key: SigningKey): void
  /** Access token lifetime of its token answers, seconds (default 3600). */
  accessTokenTtl: number
  faults: Faults
  /** `METHOD /path` of every request, in order. */
  requests: string[]
  /** A code for a login URL the client made, as the authorize endpoint would issue it. */
  issueCode(loginUrl: string): string
  /** The redirect URL the authorize endpoint answers a login URL with (`faults.callback` applied). */
  callbackUrl(loginUrl: string): string
  /** Every redirect URL it answered with, in order. */
  callbacks: string[]
  /** The HTTP status of every token endpoint answer, in order. */
  tokenStatuses: number[]
  /** Every token sent to its revocation endpoint, in order. */
  revoked: string[]
  /** The `state` of every end-session request, in order. */
  logouts: (string | null)[]
  close(): Promise<void>
}

export const signJws = (header: Record<string, unknown>, payload: unknown, key: SigningKey) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key.privateKey, {
      crit: Object.fromEntries(((header.crit as string[]) ?? []).map((name) => [name, true])),
    })

export async function makeKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return {
    alg: 'RS256',
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' },
  }
}

/** The refusal that ends a session: `invalid_grant`. */
export const invalidGrant: TokenAnswer = {
  status: 400,
  contentType: 'application/json',
  body: { error: 'invalid_grant' },
}

/** Faults that answer every refresh request with `sent`, and other grants as a good provider does. */
export const answerRefreshes = (sent: TokenAnswer): Faults => ({
  tokenResponse: (answer, grantType) => (grantType === 'refresh_token' ? sent : answer),
})

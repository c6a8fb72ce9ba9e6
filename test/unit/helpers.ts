import assert from 'node:assert/strict'
import { CompactSign, base64url, exportJWK, generateKeyPair, type JWK } from 'jose'
import {
  idTokenInvalid,
  isOidcError,
  type IdTokenCheck,
  type OidcErrorCode,
} from '../../src/errors.js'
import { selectKey } from '../../src/jwks.js'
import type { KeyResolver } from '../../src/id-token.js'

export interface TestKey {
  alg: string
  kid: string
  privateKey: CryptoKey
  jwk: JWK
}

/** A key pair of the provider's, with its public JWK as a JWKS would publish it. */
export async function makeKey(
  alg: string,
  kid = `${alg}-key`,
  extra: Partial<JWK> = {},
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return {
    alg,
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', ...extra },
  }
}

/** Signs any payload under any header through jose; `header` entries set to undefined are dropped. */
export async function sign(
  payload: unknown,
  key: TestKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  const protectedHeader = JSON.parse(JSON.stringify({ alg: key.alg, kid: key.kid, ...header }))
  const crit = Object.fromEntries(
    ((protectedHeader.crit as string[]) ?? []).map((name) => [name, true]),
  )
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(protectedHeader)
    .sign(key.privateKey, { crit })
}

/** A JWS put together by hand, for what jose refuses to sign (alg none, odd segments). */
export function rawJws(header: unknown, payload: unknown, signature = ''): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${encode(header)}.${encode(payload)}.${signature}`
}

/** The key resolver the client builds, over a fixed key set. */
export function resolverOf(keys: JWK[]): KeyResolver {
  return async (header) => {
    const jwk = selectKey(keys, header)
    if (!jwk) throw idTokenInvalid('kid', 'no key')
    return jwk
  }
}

export async function rejectsWith(
  promise: Promise<unknown>,
  code: OidcErrorCode,
  reason?: IdTokenCheck,
) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isOidcError(error), `expected an OidcError, got ${String(error)}`)
    assert.equal(error.code, code)
    if (reason) assert.equal(error.reason, reason)
    return true
  })
}

/** Fails unless `error` is an OidcError with one of `codes`: what the fuzzers accept as a refusal. */
export function expectOidcError(error: unknown, codes: OidcErrorCode[]) {
  if (!isOidcError(error)) throw new Error(`not an OidcError: ${String(error)}`)
  assert.ok(codes.includes(error.code), `unexpected code ${error.code}`)
}

export function throwsWith(fn: () => unknown, code: OidcErrorCode) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isOidcError(error), `expected an OidcError, got ${String(error)}`)
    assert.equal(error.code, code)
    return true
  })
}

/** The claims the ID token rules read, for mutation by the fuzzers. */
export const claimNames = [
  'iss',
  'aud',
  'sub',
  'exp',
  'iat',
  'nbf',
  'nonce',
  'azp',
  'auth_time',
  'at_hash',
]

/** A `localStorage` over `items`, for code that keeps a mark there. */
export const mapStorage = (items: Map<string, string>) => ({
  getItem: (name: string) => items.get(name) ?? null,
  setItem: (name: string, value: string) => void items.set(name, value),
  removeItem: (name: string) => void items.delete(name),
})

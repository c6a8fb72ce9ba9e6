// Bundled by the benchmark (esbuild) into /bench/validate.js: ID token validation alone, ours
// against a bare jose.jwtVerify of the same token, warm (key imported) and cold (key import included).
import { importJWK, jwtVerify, type JWK } from 'jose'
import { validateIdToken } from '../../../src/id-token.js'
import { selectKey } from '../../../src/jwks.js'

export interface Case {
  token: string
  jwk: JWK
  alg: string
  issuer: string
  clientId: string
  nonce: string
  /** Verifications per timed batch. */
  rounds: number
}

/** Milliseconds per verification, each the mean of one batch of `rounds`. */
export interface Timings {
  oursWarm: number
  oursCold: number
  joseWarm: number
  joseCold: number
}

async function perRound(rounds: number, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await run() // not timed: the first calls of a code path
  const start = performance.now()
  for (let i = 0; i < rounds; i++) await run()
  return (performance.now() - start) / rounds
}

async function measure({
  token,
  jwk,
  alg,
  issuer,
  clientId,
  nonce,
  rounds,
}: Case): Promise<Timings> {
  const ours = (keys: JWK[]) =>
    validateIdToken(token, {
      algorithms: [alg],
      resolveKey: async (header) => selectKey(keys, header)!,
      issuer,
      clientId,
      nonce,
      now: Math.floor(Date.now() / 1000),
      tolerance: 60,
      accessToken: 'not in the token: no at_hash',
    })
  const jose = (key: CryptoKey | Uint8Array) =>
    jwtVerify(token, key, { issuer, audience: clientId, algorithms: [alg] })
  const warmKeys = [jwk]
  const warmKey = (await importJWK(jwk, alg)) as CryptoKey
  return {
    oursWarm: await perRound(rounds, () => ours(warmKeys)),
    // A new key object each time, as after a reload: jose imports it again.
    oursCold: await perRound(rounds, () => ours([structuredClone(jwk)])),
    joseWarm: await perRound(rounds, () => jose(warmKey)),
    joseCold: await perRound(rounds, async () => jose(await importJWK(structuredClone(jwk), alg))),
  }
}

;(window as unknown as { measure: typeof measure }).measure = measure

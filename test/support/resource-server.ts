// A protected API that demands DPoP-bound tokens (RFC 9449 section 7) and checks each proof, as
// a careful resource server would: for the browser tests and the demo.
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose'
import type { TestProvider } from './provider.js'

export interface DpopCheck {
  status: number
  headers: Record<string, string>
  body: { sub: string } | { error: string; error_description: string }
}

/**
 * Checks a request's `Authorization: DPoP` token and its proof: signature by the embedded key,
 * `typ`, `htm`, `htu`, `iat`, a `jti` not seen before, `ath`, the server's `nonce` (when
 * `requireNonce`), and the token's `cnf.jkt` (kept by the provider) against the proof's key.
 */
export function createDpopChecker(op: TestProvider, { requireNonce = true } = {}) {
  const nonce = randomBytes(16).toString('base64url')
  const seen = new Set<string>()
  const refuse = (error: string, description: string): DpopCheck => ({
    status: 401,
    headers: {
      'www-authenticate': `DPoP error="${error}", algs="ES256"`,
      ...(requireNonce && { 'dpop-nonce': nonce }),
    },
    body: { error, error_description: description },
  })
  return async function check(req: IncomingMessage, htu: string): Promise<DpopCheck> {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ')
    if (scheme !== 'DPoP' || !token) return refuse('invalid_token', 'a DPoP token is required')
    const proof = req.headers.dpop
    if (typeof proof !== 'string') return refuse('invalid_dpop_proof', 'no DPoP proof')
    let payload, protectedHeader
    try {
      ;({ payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256'],
      }))
    } catch {
      return refuse('invalid_dpop_proof', 'the proof does not verify')
    }
    const now = Math.floor(Date.now() / 1000)
    if (payload.htm !== req.method) return refuse('invalid_dpop_proof', 'htm')
    if (payload.htu !== htu) return refuse('invalid_dpop_proof', 'htu')
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > 300)
      return refuse('invalid_dpop_proof', 'iat')
    if (typeof payload.jti !== 'string' || seen.has(payload.jti))
      return refuse('invalid_dpop_proof', 'jti replayed')
    seen.add(payload.jti)
    if (payload.ath !== createHash('sha256').update(token).digest('base64url'))
      return refuse('invalid_dpop_proof', 'ath')
    if (requireNonce && payload.nonce !== nonce)
      return refuse('use_dpop_nonce', 'a nonce from this server is required')
    const accessToken = await op.provider.AccessToken.find(token)
    if (!accessToken || accessToken.isExpired) return refuse('invalid_token', 'unknown token')
    if (accessToken.jkt !== (await calculateJwkThumbprint(protectedHeader.jwk!)))
      return refuse('invalid_token', 'the token is not bound to the key of this proof')
    return {
      status: 200,
      headers: requireNonce ? { 'dpop-nonce': nonce } : {},
      body: { sub: accessToken.accountId as string },
    }
  }
}

export interface ResourceServer {
  origin: string
  /** `METHOD /path` of every request (CORS preflights included), in order. */
  requests: string[]
  /** The body of every request that carried one. */
  bodies: string[]
  close(): Promise<void>
}

/**
 * The API on a port of its own, with CORS for `appOrigin`: it allows the `Authorization` and
 * `DPoP` headers and exposes `DPoP-Nonce` and `WWW-Authenticate`, as RFC 9449 needs of an API
 * that browsers call. `/me` checks the token; `/redirect` redirects to `redirectTo`.
 */
export async function startResourceServer(
  op: TestProvider,
  {
    appOrigin,
    redirectTo,
    requireNonce,
    expose = 'DPoP-Nonce, WWW-Authenticate',
  }: { appOrigin: string; redirectTo?: string; requireNonce?: boolean; expose?: string },
): Promise<ResourceServer> {
  const { createServer } = await import('node:http')
  const check = createDpopChecker(op, { requireNonce: requireNonce ?? true })
  const requests: string[] = []
  const bodies: string[] = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', origin).pathname
    requests.push(`${req.method} ${path}`)
    let body = ''
    for await (const chunk of req) body += chunk
    if (body) bodies.push(body)
    const cors = {
      'access-control-allow-origin': appOrigin,
      'access-control-allow-headers': 'authorization, dpop, content-type',
      'access-control-allow-methods': 'GET, POST, PUT',
      'access-control-expose-headers': expose,
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end()
    if (path === '/redirect' && redirectTo)
      return void res.writeHead(302, { ...cors, location: redirectTo }).end()
    const result = await check(req, origin + path)
    res
      .writeHead(result.status, { ...cors, ...result.headers, 'content-type': 'application/json' })
      .end(JSON.stringify(result.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    requests,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

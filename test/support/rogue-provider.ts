// A misbehaving OpenID Provider for the attack and session tests: discovery, JWKS, authorize,
// token (code and rotating refresh tokens), revocation and end-session endpoints on 127.0.0.1
// that answer correctly until a test breaks one thing through `faults`, holds an answer, or
// rotates the signing key. (oidc-provider only behaves well.) The authorize endpoint has no
// login page: it redirects straight back with a code, for the user named by `login_hint`.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { base64url } from 'jose'
import {
  invalidGrant,
  makeKey,
  signJws,
  type IdTokenParts,
  type RogueProvider,
  type TokenAnswer,
} from './rogue-parts.js'

export {
  answerRefreshes,
  invalidGrant,
  signJws,
  type Faults,
  type IdTokenParts,
  type RogueProvider,
  type SigningKey,
  type TokenAnswer,
} from './rogue-parts.js'

interface Grant {
  nonce: string | null
  codeChallenge: string | null
  redirectUri: string | null
  /** The user: the login's `login_hint`, or alice. */
  sub: string
}

/** `path`: the issuer's path on the server (default none), for issuers such as `…/r`. */
export async function startRogueProvider({ path = '' } = {}): Promise<RogueProvider> {
  const key = await makeKey('rogue-1')
  const attackerKey = await makeKey('attacker-1')
  const grants = new Map<string, Grant>()
  // Refresh tokens rotate: each works once, and a spent one is refused (invalid_grant).
  const refreshTokens = new Map<string, { sub: string; clientId: string | null }>()
  // The user of each access token, for the userinfo endpoint.
  const users = new Map<string, string>()
  const published = [key]
  let signer = key
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`)
    handle(req, res).catch((error) => {
      res.writeHead(500).end(String(error))
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`

  const rogue: RogueProvider = {
    issuer,
    key,
    attackerKey,
    faults: {},
    accessTokenTtl: 3600,
    async rotateKey() {
      signer = await makeKey(`rogue-${published.length + 1}`)
      published.push(signer)
      return signer
    },
    signWith: (key) => void (signer = key),
    requests,
    callbacks: [],
    revoked: [],
    logouts: [],
    tokenStatuses: [],
    issueCode(loginUrl) {
      const params = new URL(loginUrl).searchParams
      const code = base64url.encode(randomBytes(16))
      grants.set(code, {
        nonce: params.get('nonce'),
        codeChallenge: params.get('code_challenge'),
        redirectUri: params.get('redirect_uri'),
        sub: params.get('login_hint') ?? 'alice',
      })
      return code
    },
    callbackUrl(loginUrl) {
      const params = new URL(loginUrl).searchParams
      const query: [string, string][] = [
        ['code', rogue.issueCode(loginUrl)],
        ['state', params.get('state') ?? ''],
      ]
      const url = new URL(params.get('redirect_uri') ?? '')
      for (const [name, value] of rogue.faults.callback?.(query) ?? query)
        url.searchParams.append(name, value)
      rogue.callbacks.push(url.href)
      return url.href
    },
    close: () =>
      new Promise((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  }

  const send = (res: ServerResponse, answer: TokenAnswer) => {
    const { status, contentType, body, location, cacheControl = 'no-store' } = answer
    res.writeHead(status, {
      'content-type': contentType,
      'access-control-allow-origin': '*',
      'cache-control': cacheControl,
      ...(location && { location }),
    })
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }
  const json = (res: ServerResponse, body: unknown) =>
    send(res, { status: 200, contentType: 'application/json', body })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', issuer)
    url.pathname = url.pathname.slice(path.length)
    if (req.method !== 'OPTIONS') await rogue.faults.hold?.(url.pathname)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
        'access-control-allow-methods': 'GET, POST',
      })
      return res.end()
    }
    switch (url.pathname) {
      case '/.well-known/openid-configuration': {
        const document = {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          revocation_endpoint: `${issuer}/revoke`,
          end_session_endpoint: `${issuer}/logout`,
          userinfo_endpoint: `${issuer}/userinfo`,
          response_types_supported: ['code'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        }
        return json(res, rogue.faults.discovery?.(document) ?? document)
      }
      case '/jwks': {
        const jwks = { keys: published.map((published) => published.jwk) }
        const body = rogue.faults.jwks?.(jwks) ?? jwks
        const cacheControl = rogue.faults.jwksCacheControl
        return send(res, { status: 200, contentType: 'application/json', body, cacheControl })
      }
      case '/revoke':
        rogue.revoked.push((await formOf(req)).get('token') ?? '')
        return json(res, {})
      case '/logout': {
        rogue.logouts.push(url.searchParams.get('state'))
        res.writeHead(302, { location: url.searchParams.get('post_logout_redirect_uri') ?? '/' })
        return res.end()
      }
      case '/userinfo': {
        const sub = users.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '')
        const answer = { status: sub ? 200 : 401, contentType: 'application/json', body: { sub } }
        return send(res, rogue.faults.userinfo?.(answer) ?? answer)
      }
      case '/authorize':
        res.writeHead(302, { location: rogue.callbackUrl(url.href) })
        return res.end()
      case '/token': {
        const form = await formOf(req)
        const answer = await tokenAnswer(form)
        const sent = rogue.faults.tokenResponse?.(answer, form.get('grant_type') ?? '') ?? answer
        rogue.tokenStatuses.push(sent.status)
        return send(res, sent)
      }
      default:
        res.writeHead(404).end()
    }
  }

  async function formOf(req: IncomingMessage) {
    let text = ''
    for await (const chunk of req) text += chunk
    return new URLSearchParams(text)
  }

  async function tokenAnswer(form: URLSearchParams): Promise<TokenAnswer> {
    if (form.get('grant_type') === 'refresh_token') {
      const spent = refreshTokens.get(form.get('refresh_token') ?? '')
      refreshTokens.delete(form.get('refresh_token') ?? '')
      if (!spent || spent.clientId !== form.get('client_id')) return invalidGrant
      return issueTokens({ ...spent, nonce: null, grantType: 'refresh_token' })
    }
    const grant = grants.get(form.get('code') ?? '')
    grants.delete(form.get('code') ?? '')
    const verifier = form.get('code_verifier') ?? ''
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    if (
      !grant ||
      form.get('grant_type') !== 'authorization_code' ||
      grant.codeChallenge !== challenge ||
      grant.redirectUri !== form.get('redirect_uri')
    )
      return invalidGrant
    return issueTokens({
      sub: grant.sub,
      clientId: form.get('client_id'),
      nonce: grant.nonce,
      grantType: 'authorization_code',
    })
  }

  async function issueTokens(grant: {
    sub: string
    clientId: string | null
    nonce: string | null
    grantType: string
  }) {
    const accessToken = base64url.encode(randomBytes(24))
    users.set(accessToken, grant.sub)
    const digest = createHash('sha256').update(accessToken).digest()
    const now = Math.floor(Date.now() / 1000)
    const good: IdTokenParts = {
      header: { alg: 'RS256', kid: signer.kid },
      payload: {
        iss: issuer,
        sub: grant.sub,
        aud: grant.clientId,
        exp: now + 7200,
        iat: now,
        ...(grant.nonce === null ? {} : { nonce: grant.nonce }),
        at_hash: base64url.encode(digest.subarray(0, 16)),
        email: 'alice@example.com',
      },
    }
    const { header, payload } = rogue.faults.idToken?.(good, grant.grantType) ?? good
    const refreshToken = base64url.encode(randomBytes(24))
    refreshTokens.set(refreshToken, { sub: grant.sub, clientId: grant.clientId })
    let idToken = await signJws(header, payload, signer)
    if (rogue.faults.idTokenString)
      idToken = await rogue.faults.idTokenString(idToken, { sign: signJws })
    return {
      status: 200,
      contentType: 'application/json',
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: rogue.accessTokenTtl,
        id_token: idToken,
        refresh_token: refreshToken,
      },
    }
  }

  return rogue
}

// A real OpenID Provider (oidc-provider) on 127.0.0.1 for the browser tests and the demo.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { type ClientMetadata } from 'oidc-provider'

export interface ProviderOptions {
  /** ID token signing algorithm of the provider's one key. Default RS256. */
  alg?: string
  /** Redirect URIs of the public client `spa` (and of `spa-2`, for two clients on one origin). */
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
  /** Access token lifetime, seconds. Default 3600. */
  accessTokenTtl?: number
  /**
   * Serve Auth0's routes (`/authorize`, `/oauth/token`), an issuer with a trailing slash and the
   * `web_message` response mode, as auth0-spa-js expects of its provider (for the benchmark).
   */
  auth0Routes?: boolean
  /** Demand a DPoP nonce (RFC 9449 section 8) in every proof at the token endpoint. */
  dpopNonces?: boolean
}

export interface TestProvider {
  issuer: string
  provider: Provider
  /** `METHOD /path` of every request the provider received, in order. */
  requests: string[]
  /** `METHOD /path STATUS` of every answer, in order. */
  responses: string[]
  /**
   * `METHOD /path` of every request a page's script made (fetch, XHR, an iframe), told from
   * the user's own navigations by the browser's `Sec-Fetch-Dest` header.
   */
  scriptRequests: string[]
  /** The private key the provider signs ID tokens with, for tests that play a misbehaving provider. */
  signingKey: JWK
  /**
   * Set by a test to rewrite the token endpoint's successful answers, as a misbehaving provider
   * would send them; `grantType` is the request's.
   */
  /** Headers a test adds to every answer (a `Cross-Origin-Opener-Policy`, an `X-Frame-Options`). */
  answerHeaders: Record<string, string>
  /** Whether the token endpoint issues refresh tokens (default true). */
  issueRefreshTokens: boolean
  rewriteTokenResponse?: (
    body: Record<string, unknown>,
    grantType: string,
  ) => Promise<Record<string, unknown>>
  close(): Promise<void>
}

const webFontImport = /@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g

export async function startProvider(options: ProviderOptions): Promise<TestProvider> {
  const alg = options.alg ?? 'RS256'
  const { privateKey } = await generateKeyPair(alg === 'PS256' ? 'RS256' : alg, {
    extractable: true,
  })
  const key = { ...(await exportJWK(privateKey)), kid: `test-${alg}`, use: 'sig' }
  const client = (clientId: string): ClientMetadata => ({
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    redirect_uris: options.redirectUris,
    post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: alg as ClientMetadata['id_token_signed_response_alg'],
  })
  const origins = new Set(options.redirectUris.map((uri) => new URL(uri).origin))
  const requests: string[] = []
  const responses: string[] = []
  const scriptRequests: string[] = []
  // The issuer needs the port, so the server is bound first and the provider mounted after.
  const { createServer } = await import('node:http')
  let handler: ReturnType<Provider['callback']> | undefined
  const server = createServer((req, res) => handler?.(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const issuer = options.auth0Routes ? `${origin}/` : origin
  const provider = new Provider(issuer, {
    clients: [client('spa'), client('spa-2')],
    jwks: { keys: [key] },
    cookies: { keys: ['test-cookie-key'] },
    // Profile and email claims in the ID token itself, so the demo can show them.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      // DPoP is on in oidc-provider 9 by default; nonces need a secret, and a demand for them.
      dPoP: {
        enabled: true,
        ...(options.dpopNonces && { nonceSecret: randomBytes(32), requireNonce: () => true }),
      },
      webMessageResponseMode: { enabled: !!options.auth0Routes, ack: 'individual-draft-01' },
    },
    ...(options.auth0Routes && { routes: { authorization: '/authorize', token: '/oauth/token' } }),
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 86_400,
      Interaction: 600,
      Session: 86_400,
      Grant: 86_400,
    },
    clientBasedCORS: (_ctx, origin) => origins.has(origin),
    // Refresh tokens for the public client without offline_access (the default wants that scope
    // and prompt=consent); oidc-provider rotates them for public clients and revokes the whole
    // grant when a spent one comes back.
    issueRefreshToken: async (_ctx, client) =>
      testProvider.issueRefreshTokens && client.grantTypeAllowed('refresh_token'),
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        email: `${sub}@example.com`,
        email_verified: true,
        name: `Test user ${sub}`,
      }),
    }),
  })
  const testProvider: TestProvider = {
    issuer,
    provider,
    requests,
    responses,
    scriptRequests,
    signingKey: key,
    answerHeaders: {},
    issueRefreshTokens: true,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  provider.use(async (ctx, next) => {
    requests.push(`${ctx.method} ${ctx.path}`)
    if (ctx.get('sec-fetch-dest') !== 'document') scriptRequests.push(`${ctx.method} ${ctx.path}`)
    await next()
    // Its built-in pages import a web font from Google: the demo and the tests stay on this machine.
    if (typeof ctx.body === 'string') ctx.body = ctx.body.replace(webFontImport, '')
    ctx.set(testProvider.answerHeaders)
    const rewrite = testProvider.rewriteTokenResponse
    if (rewrite && ctx.path === '/token' && ctx.status === 200) {
      ctx.body = await rewrite(
        ctx.body as Record<string, unknown>,
        ctx.oidc.params?.grant_type as string,
      )
    }
    responses.push(`${ctx.method} ${ctx.path} ${ctx.status}`)
  })
  handler = provider.callback()
  return testProvider
}

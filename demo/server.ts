// `npm run demo`: a real OpenID Provider and a static server for this page, on 127.0.0.1 only.
import { pathToFileURL } from 'node:url'
import { startProvider } from '../test/support/provider.js'
import { createDpopChecker } from '../test/support/resource-server.js'
import { startStaticServer } from '../test/support/static-server.js'

export async function startDemo({ port = 0 }: { port?: number } = {}) {
  const app = await startStaticServer(
    { '/': 'demo', '/dist/': 'dist', '/react/': 'demo/react/dist', '/vue/': 'demo/vue/dist' },
    port,
  )
  const appUrl = `${app.origin}/`
  // The same pages by the name localhost too, which many type instead of the address printed.
  const origins = [app.origin, app.origin.replace('127.0.0.1', 'localhost')]
  const appUrls = origins.flatMap((origin) => [`${origin}/`, `${origin}/react/`, `${origin}/vue/`])
  // Two-minute access tokens, so the automatic refresh shows in the event log within a minute.
  const op = await startProvider({
    redirectUris: appUrls,
    postLogoutRedirectUris: appUrls,
    accessTokenTtl: 120,
  })
  app.route('/config.js', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
    res.end(`window.demoConfig = ${JSON.stringify({ issuer: op.issuer, clientId: 'spa' })}\n`)
  })
  // The protected API: checks the bearer token at the provider's userinfo endpoint.
  app.route('/api/me', async (req, res) => {
    const userinfo = await fetch(`${op.issuer}/me`, {
      headers: { authorization: req.headers.authorization ?? '' },
    })
    const body = userinfo.ok
      ? { sub: ((await userinfo.json()) as { sub: string }).sub }
      : { error: 'invalid_token' }
    res
      .writeHead(userinfo.ok ? 200 : 401, { 'content-type': 'application/json' })
      .end(JSON.stringify(body))
  })
  // The same API for DPoP-bound tokens: it checks the proof (method, URL, ath, its nonce) and
  // that the token is bound to the proof's key; a bearer token, or another key's proof, fails.
  const checkDpop = createDpopChecker(op)
  app.route('/api/dpop/me', async (req, res) => {
    const { status, headers, body } = await checkDpop(req, `${app.origin}/api/dpop/me`)
    res
      .writeHead(status, { ...headers, 'content-type': 'application/json' })
      .end(JSON.stringify(body))
  })
  return {
    url: appUrl,
    issuer: op.issuer,
    close: async () => {
      await app.close()
      await op.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 8080)
  const demo = await startDemo({ port }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error
    console.error(
      `Port ${port} is in use: start the demo on another one, e.g. PORT=8081 npm run demo`,
    )
    process.exit(1)
  })
  console.log(`\noidc-browser demo: ${demo.url}  (React: ${demo.url}react/  Vue: ${demo.url}vue/)`)
  console.log(`OpenID Provider:   ${demo.issuer} (any login name and password work)\n`)
  console.log('Press Ctrl+C to stop.')
}

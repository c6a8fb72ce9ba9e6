// Requests each library makes to the provider, counted at the provider (requests of a page's
// scripts, told from navigations by Sec-Fetch-Dest) and in the browser (Playwright's log).
import { apps, appUrl, logIn, newAppContext, ready, type App, type Bench } from './apps.js'

const steps = [
  'first login',
  'later login (cached metadata)',
  'reload, signed in',
  'token after expiry',
] as const
type Step = (typeof steps)[number]

interface Count {
  provider: string[]
  browser: number
}

async function countRequests(bench: Bench, app: App): Promise<Record<Step, Count>> {
  const context = await newAppContext(bench, app)
  // Page time moves with real time until fastForward jumps to the access token's expiry.
  await context.clock.install()
  const issuerOrigin = new URL(bench.op.issuer).origin
  let browserCount = 0
  context.on('request', (request) => {
    const userNavigation = request.isNavigationRequest() && !request.frame().parentFrame()
    if (request.url().startsWith(issuerOrigin) && !userNavigation) browserCount++
  })
  const counts = {} as Record<Step, Count>
  const measure = async (step: Step, run: () => Promise<unknown>) => {
    const from = bench.op.scriptRequests.length
    browserCount = 0
    await run()
    // Whatever the library still sends after it reported signed in (an iframe, a userinfo call).
    await new Promise((resolve) => setTimeout(resolve, 500))
    counts[step] = { provider: bench.op.scriptRequests.slice(from), browser: browserCount }
  }
  const page = await context.newPage()
  await measure('first login', async () => {
    await page.goto(appUrl(bench, app))
    await ready(page, false)
    await logIn(page)
  })
  // Not counted: oidc-browser's local logout also revokes the refresh token (1 request).
  await page.evaluate(() => window.app.forget())
  await measure('later login (cached metadata)', async () => {
    await page.reload()
    await ready(page, false)
    await logIn(page)
  })
  await measure('reload, signed in', async () => {
    await page.reload()
    await ready(page)
  })
  await measure('token after expiry', async () => {
    await page.clock.fastForward('59:30')
    await page.evaluate(() => window.app.freshToken())
  })
  await context.close()
  return counts
}

/** `GET /jwks` → `jwks`: the endpoint names a reader knows. */
const endpoint = (request: string) => {
  const [method, path] = request.split(' ')
  const name = path.replace(/^\//, '').replace('.well-known/openid-configuration', 'discovery')
  return method === 'OPTIONS' ? `${name} preflight` : name
}

export async function measureRequests(bench: Bench): Promise<string> {
  const results = new Map<App, Record<Step, Count>>()
  for (const app of apps) results.set(app, await countRequests(bench, app))
  const cell = ({ provider, browser }: Count) => {
    const names = provider.map(endpoint).join(', ')
    const agree = browser === provider.length ? '' : ` (browser saw ${browser})`
    return `**${provider.length}**${names ? ` (${names})` : ''}${agree}`
  }
  return [
    '## Requests to the provider',
    '',
    "Requests made by the library (fetch, XHR, iframe), counted at oidc-provider; the user's own",
    'navigations through the login pages are the same for all and not counted. Each library runs',
    'in a fresh browser profile: first login, then a local sign-out and a second login (provider',
    'session alive, so no login page), a reload of the signed-in page, and an access token asked',
    'for after the clock jumped to 30 s before its expiry (1 h). oidc-client-ts and auth0-spa-js',
    'make fewer requests on a first login because they never fetch the JWKS: they do not verify',
    "the ID token's signature. The browser's own count (Playwright's request log) agrees with the",
    "provider's in every cell that does not say otherwise.",
    '',
    `| step | ${apps.map((app) => app.name).join(' | ')} |`,
    `| --- | ${apps.map(() => '---').join(' | ')} |`,
    ...steps.map(
      (step) => `| ${step} | ${apps.map((app) => cell(results.get(app)![step])).join(' | ')} |`,
    ),
  ].join('\n')
}

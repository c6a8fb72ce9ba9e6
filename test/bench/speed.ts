// Speed in Chromium, medians over fresh browser contexts (BENCH_CONTEXTS, default 10): the
// callback and the reload of each app, and ID token validation alone against bare jose.
import { build } from 'esbuild'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { newLoopbackContext } from '../support/browser.js'
import { repoRoot } from '../support/static-server.js'
import { apps, appUrl, logIn, newAppContext, ready, type Bench, type Ready } from './apps.js'
import { spread, type Spread } from './spread.js'
import { traceOidcBrowser } from './trace.js'
import type { Case, Timings } from './pages/validate.js'

const contexts = Number(process.env.BENCH_CONTEXTS ?? 10)

const ms = ({ median, min, max }: Spread, digits = 0) =>
  `**${median.toFixed(digits)} ms** (${min.toFixed(digits)}–${max.toFixed(digits)})`
const ratio = (ours: Spread, peer: Spread) => `${(ours.median / peer.median).toFixed(2)}×`

const steps = ['reload', 'callback', 'first callback'] as const
type Step = (typeof steps)[number]
const headings: Record<Step, string> = {
  'reload': 'Reload, signed in (no request)',
  'callback': 'Callback with cached discovery and JWKS (one request: the token)',
  'first callback': 'Callback of a first visit (oidc-browser also fetches discovery and the JWKS)',
}

async function measureApps(bench: Bench): Promise<string> {
  const times = new Map(
    apps.map((app) => [app, new Map(steps.map((step) => [step, [] as Ready[]]))]),
  )
  // Apps take turns within each round, so that a slow spell of the machine hits all of them.
  for (let round = 0; round < contexts; round++) {
    for (const app of apps) {
      const record = (step: Step, result: Ready) => times.get(app)!.get(step)!.push(result)
      const context = await newAppContext(bench, app)
      const page = await context.newPage()
      await page.goto(appUrl(bench, app))
      await ready(page, false)
      record('first callback', await logIn(page))
      await page.reload()
      record('reload', await ready(page))
      // A local sign-out and a login again: the provider's session is alive, the caches warm.
      await page.evaluate(() => window.app.forget())
      await page.reload()
      await ready(page, false)
      record('callback', await logIn(page))
      await context.close()
    }
  }
  const of = (app: (typeof apps)[number], step: Step, key: 'library' | 'page') =>
    spread(
      times
        .get(app)!
        .get(step)!
        .map((result) => result[key]),
    )
  const table = (step: Step) => [
    `#### ${headings[step]}`,
    '',
    '| app | library time | ÷ oidc-client-ts | whole page | ÷ oidc-client-ts |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...apps.map((app) => {
      const [library, page] = [of(app, step, 'library'), of(app, step, 'page')]
      const [peerLibrary, peerPage] = [of(apps[1], step, 'library'), of(apps[1], step, 'page')]
      return `| ${app.name} | ${ms(library, 1)} | ${ratio(library, peerLibrary)} | ${ms(page, 1)} | ${ratio(page, peerPage)} |`
    }),
  ]
  const summary = (step: Step) => ratio(of(apps[0], step, 'library'), of(apps[1], step, 'library'))
  return [
    `### Callback and reload (${contexts} fresh contexts each; median, min–max)`,
    '',
    "Library time, as the SPEC defines it: from the first statement of the app's bundle (one",
    "script: a statement that marks the time, the library's browser build, then the app) to the",
    'state being known: signed in after the callback, or after a reload (oidc-browser verifies the',
    "stored ID token again there). Whole page: from the navigation's start to the same point. Each",
    'context logs in (first callback), reloads, signs out locally and logs in again (callback).',
    "A ratio is the app's median over oidc-client-ts's, in this run: below 1 is faster.",
    '',
    `SPEC budgets, oidc-browser ÷ oidc-client-ts library time: reload at most 2× (this run:`,
    `${summary('reload')}), callback with cached discovery and JWKS at most 1.1× (this run:`,
    `${summary('callback')}).`,
    '',
    ...steps.flatMap((step) => [...table(step), '']),
  ].join('\n')
}

const algorithms = ['RS256', 'PS256', 'ES256', 'EdDSA']

async function tokenCase(alg: string): Promise<Case> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const issuer = 'https://id.example.com'
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT({ nonce: 'n-0S6_WzA2Mj', email: 'alice@example.com' })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer(issuer)
    .setAudience('spa')
    .setSubject('alice')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey)
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' }
  return { token, jwk, alg, issuer, clientId: 'spa', nonce: 'n-0S6_WzA2Mj', rounds: 200 }
}

async function measureValidation(bench: Bench): Promise<string> {
  const bundle = await build({
    entryPoints: [`${repoRoot}/test/bench/pages/validate.ts`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
  bench.server.route('/bench/validate.js', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.outputFiles[0].contents)
  })
  const cases = await Promise.all(algorithms.map(tokenCase))
  const results = new Map(algorithms.map((alg) => [alg, [] as Timings[]]))
  for (let round = 0; round < contexts; round++) {
    const context = await newLoopbackContext(bench.browser)
    const page = await context.newPage()
    await page.goto(`${bench.server.origin}/bench/validate.html`)
    for (const testCase of cases) {
      const timings = await page.evaluate(
        (testCase) =>
          (window as unknown as { measure(c: Case): Promise<Timings> }).measure(testCase),
        testCase,
      )
      results.get(testCase.alg)!.push(timings)
    }
    await context.close()
  }
  const row = (alg: string) => {
    const of = (key: keyof Timings) => spread(results.get(alg)!.map((timings) => timings[key]))
    const [oursWarm, joseWarm, oursCold, joseCold] = [
      of('oursWarm'),
      of('joseWarm'),
      of('oursCold'),
      of('joseCold'),
    ]
    const slower = (ours: Spread, jose: Spread) => `${(ours.median / jose.median).toFixed(2)}×`
    return `| ${alg} | ${ms(oursWarm, 3)} | ${ms(joseWarm, 3)} | ${slower(oursWarm, joseWarm)} | ${ms(oursCold, 3)} | ${ms(joseCold, 3)} | ${slower(oursCold, joseCold)} |`
  }
  return [
    `### ID token validation alone (${contexts} fresh contexts; median, min–max of per-context means)`,
    '',
    "oidc-browser's validator (key selection from a JWKS, `alg` allow-list, signature, `iss`, `aud`,",
    '`azp`, `exp`, `iat`, `nbf`, `sub`, `nonce`) against a bare `jose.jwtVerify` (signature, `iss`, `aud`,',
    '`exp`) of the same token in the same page; each figure is the mean of 200 verifications. Warm: the',
    'key already imported. Cold: a new JWK object each time, so WebCrypto imports it again (as after a',
    'reload). A ratio above 1 means oidc-browser takes longer.',
    '',
    '| alg | ours, warm | jose, warm | ours ÷ jose | ours, cold | jose, cold | ours ÷ jose |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...algorithms.map(row),
  ].join('\n')
}

export async function measureSpeed(bench: Bench): Promise<string> {
  return [
    '## Speed',
    '',
    await measureApps(bench),
    await traceOidcBrowser(bench),
    '',
    await measureValidation(bench),
  ].join('\n')
}

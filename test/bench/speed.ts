// Speed in Chromium, medians over fresh browser contexts (BENCH_CONTEXTS, default 10): the
// callback and the reload of each app, and ID token validation alone against bare jose.
import { build } from 'esbuild'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { newLoopbackContext } from '../support/browser.js'
import { repoRoot } from '../support/static-server.js'
import { apps, appUrl, logIn, newAppContext, ready, type Bench } from './apps.js'
import type { Case, Timings } from './pages/validate.js'

const contexts = Number(process.env.BENCH_CONTEXTS ?? 10)

interface Spread {
  median: number
  min: number
  max: number
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  return { median, min: sorted[0], max: sorted.at(-1)! }
}

const ms = ({ median, min, max }: Spread, digits = 0) =>
  `**${median.toFixed(digits)} ms** (${min.toFixed(digits)}–${max.toFixed(digits)})`
const ratio = (ours: Spread, theirs: Spread) => `${(theirs.median / ours.median).toFixed(2)}×`

async function measureApps(bench: Bench): Promise<string> {
  const times = new Map(
    apps.map((app) => [app, { callback: [] as number[], reload: [] as number[] }]),
  )
  // Apps take turns within each round, so that a slow spell of the machine hits all of them.
  for (let round = 0; round < contexts; round++) {
    for (const app of apps) {
      const context = await newAppContext(bench, app)
      const page = await context.newPage()
      await page.goto(appUrl(bench, app))
      await ready(page, false)
      times.get(app)!.callback.push((await logIn(page)).ms)
      await page.reload()
      times.get(app)!.reload.push((await ready(page)).ms)
      await context.close()
    }
  }
  const ours = times.get(apps[0])!
  const row = (app: (typeof apps)[number]) => {
    const { callback, reload } = times.get(app)!
    const [c, r] = [spread(callback), spread(reload)]
    return `| ${app.name} | ${ms(c)} | ${ratio(spread(ours.callback), c)} | ${ms(r)} | ${ratio(spread(ours.reload), r)} |`
  }
  return [
    `### Callback and reload (${contexts} fresh contexts each; median, min–max)`,
    '',
    'From the first script of the page to signed in: the callback page of a first login (cold',
    'caches: oidc-browser fetches discovery and the JWKS here and verifies the signature), and a',
    'reload of the signed-in page (oidc-browser verifies the stored ID token again). A ratio above',
    '1 means the peer takes longer than oidc-browser.',
    '',
    '| app | callback | its time ÷ ours | reload | its time ÷ ours |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...apps.map(row),
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
  return ['## Speed', '', await measureApps(bench), '', await measureValidation(bench)].join('\n')
}

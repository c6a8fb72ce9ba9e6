// What `init({ silent: true })` costs a signed-out first visit where third-party cookies are
// blocked: the app on localhost and the provider on 127.0.0.1 are two sites, so in the iframe the
// provider's session cookie is a third-party cookie, and Chromium runs with third-party cookies
// blocked. (oidc-provider's cookies are SameSite=Lax on http, so they would not reach a
// cross-site iframe anyway.)
import { launchBrowser, newLoopbackContext, signInAtProvider } from '../support/browser.js'
import { startProvider } from '../support/provider.js'
import { startStaticServer } from '../support/static-server.js'

const runs = 7
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]

export async function measureSilentFirstVisit(): Promise<string> {
  const app = await startStaticServer({ '/pages/': 'test/browser/pages', '/dist/': 'dist' })
  const page = `${app.origin.replace('127.0.0.1', 'localhost')}/pages/iife.html`
  const op = await startProvider({ redirectUris: [page] })
  const rows: string[] = []
  try {
    const browser = await launchBrowser({ extraArgs: ['--test-third-party-cookie-phaseout'] })
    const context = await newLoopbackContext(browser)
    await context.addInitScript((issuer) => ((window as any).__testConfig = { issuer }), op.issuer)
    // A session at the provider, made by a redirect login in a first tab.
    const first = await context.newPage()
    await first.goto(page)
    await first.evaluate(() => (window as any).ready)
    await Promise.all([
      first.waitForNavigation(),
      first.evaluate(() => void (window as any).client.login()),
    ])
    await signInAtProvider(first)
    await first.evaluate(() => (window as any).ready)
    const times: Record<string, number[]> = { silent: [], plain: [] }
    const outcomes = new Set<string>()
    let requests = 0
    for (let run = 0; run < runs; run++) {
      for (const silent of [true, false]) {
        const tab = await context.newPage()
        await tab.goto(`${page.replace('iife.html', 'elsewhere.html')}`)
        await tab.addScriptTag({ url: '/dist/oidc-browser.iife.min.js' })
        const before = op.requests.length
        const result = await tab.evaluate(
          async ({ issuer, page, silent }) => {
            const start = performance.now()
            const client = new (window as any).OidcBrowser.OidcClient({
              issuer,
              clientId: 'spa',
              redirectUri: page,
              persist: 'memory',
            })
            const state = await client.init({ silent })
            return {
              ms: performance.now() - start,
              outcome: state.status + (state.error ? `/${state.error.code}` : ''),
            }
          },
          { issuer: op.issuer, page, silent },
        )
        times[silent ? 'silent' : 'plain'].push(result.ms)
        if (silent) {
          outcomes.add(result.outcome)
          requests = op.requests.length - before
        }
        await tab.close()
      }
    }
    rows.push(
      `| ${[...outcomes].join(', ')} | ${median(times.silent).toFixed(0)} ms | ${median(times.plain).toFixed(0)} ms | ${requests} |`,
    )
    await browser.close()
  } finally {
    await app.close()
    await op.close()
  }
  return [
    '## `init({ silent: true })` on a first visit',
    '',
    `Third-party cookies blocked: the app on \`localhost\`, the provider (with a live session) on \`127.0.0.1\`. A \`persist: 'memory'\` client on a fresh page, so nothing is stored; medians of ${runs} pages, library time from construction to the state.`,
    '',
    '| outcome | `init({ silent: true })` | `init()` | requests to the provider (silent) |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n')
}

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { newLoopbackContext } from '../support/browser.js'
import type { TestProvider } from '../support/provider.js'
import { repoRoot, type StaticServer } from '../support/static-server.js'
import { logIn, ready, startHarness, stopHarness, type Harness } from './app.js'

let browser: Browser
let app: StaticServer
let op: TestProvider
let harness: Harness
let page: string

before(async () => {
  ;({ browser, app, op } = harness = await startHarness({ extraPages: ['/strict/app.html'] }))
  page = `${app.origin}/strict/app.html`
  const html = await readFile(`${repoRoot}/test/browser/pages/csp.html`)
  app.route('/strict/app.html', (_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html',
      'content-security-policy': [
        "default-src 'none'",
        "script-src 'self'",
        `connect-src ${op.issuer}`,
        "require-trusted-types-for 'script'",
        'trusted-types none',
      ].join('; '),
    })
    res.end(html)
  })
})

after(() => stopHarness(harness))

test(
  'the script-tag build works under a strict CSP with Trusted Types required',
  { timeout: 60_000 },
  async () => {
    const context = await newLoopbackContext(browser)
    await context.addInitScript((issuer) => {
      window.__testConfig = { issuer }
      const violations: string[] = []
      ;(window as unknown as { violations: string[] }).violations = violations
      document.addEventListener('securitypolicyviolation', (event) =>
        violations.push(`${event.violatedDirective} ${event.blockedURI}`),
      )
    }, op.issuer)
    const tab = await context.newPage()
    await tab.goto(page)
    assert.equal((await ready(tab)).state?.status, 'signedOut')
    const result = await logIn(tab)
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.equal(await tab.evaluate(() => window.client.getState().claims.sub), 'alice')
    await tab.reload()
    assert.equal((await ready(tab)).state?.status, 'signedIn')
    assert.equal(typeof (await tab.evaluate(() => window.client.getAccessToken())), 'string')
    assert.deepEqual(
      await tab.evaluate(() => (window as unknown as { violations: string[] }).violations),
      [],
    )
    // The policy is in force: an inline script would have been refused.
    const blocked = await tab.evaluate(() => {
      const script = document.createElement('script')
      try {
        script.textContent = 'window.inline = true'
        document.body.append(script)
      } catch {
        return true
      }
      return !(window as unknown as { inline?: boolean }).inline
    })
    assert.equal(blocked, true)
    await context.close()
  },
)

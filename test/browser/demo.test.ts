import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { startDemo } from '../../demo/server.js'
import {
  launchBrowser,
  newLoopbackContext,
  readClaimsTable,
  signInAtProvider,
} from '../support/browser.js'
import { repoRoot } from '../support/static-server.js'

let browser: Browser
let demo: Awaited<ReturnType<typeof startDemo>>

before(async () => {
  browser = await launchBrowser()
  demo = await startDemo()
})

after(async () => {
  await browser?.close()
  await demo?.close()
})

test(
  'the demo page: log in at the provider, see the validated claims and events, log out',
  { timeout: 60_000 },
  async () => {
    const context = await newLoopbackContext(browser)
    const page = await context.newPage()
    await page.goto(demo.url)
    await page.waitForSelector('#login:not([hidden])')
    assert.equal(await page.textContent('#status'), 'signedOut')

    await Promise.all([page.waitForNavigation(), page.click('#login')])
    await signInAtProvider(page, 'demo-user')
    await page.waitForSelector('#claims-card:not([hidden])')
    assert.equal(await page.textContent('#status'), 'signedIn')
    const claims = await readClaimsTable(page)
    assert.equal(claims.sub, 'demo-user')
    assert.equal(claims.email, 'demo-user@example.com')
    assert.equal(claims.iss, demo.issuer)
    assert.match((await page.textContent('#events')) ?? '', /signedin/)
    await page.click('#call-api')
    await page.waitForFunction(() =>
      document.querySelector('#api-result')?.textContent?.includes('demo-user'),
    )
    assert.equal(await page.textContent('#api-result'), 'The API says you are "demo-user".')
    await mkdir(`${repoRoot}/test-results`, { recursive: true })
    await page.screenshot({ path: `${repoRoot}/test-results/demo-signed-in.png`, fullPage: true })

    // A second tab opened now is signed in too, and follows the logout below.
    const second = await context.newPage()
    await second.goto(demo.url)
    await second.waitForSelector('#claims-card:not([hidden])')

    // Log out at the provider too: its confirmation page, then back to the demo.
    await Promise.all([page.waitForNavigation(), page.click('#logout')])
    await Promise.all([page.waitForNavigation(), page.click('button[value="yes"]')])
    await page.waitForSelector('#login:not([hidden])')
    assert.equal(await page.textContent('#status'), 'signedOut')
    await second.waitForSelector('#login:not([hidden])')
    assert.equal(await second.textContent('#status'), 'signedOut')
    await context.close()
  },
)

test(
  'a login cancelled at the provider shows the OidcError code',
  { timeout: 60_000 },
  async () => {
    const context = await newLoopbackContext(browser)
    const page = await context.newPage()
    await page.goto(demo.url)
    await page.waitForSelector('#login:not([hidden])')
    await Promise.all([page.waitForNavigation(), page.click('#login')])
    await Promise.all([page.waitForNavigation(), page.click('text=[ Cancel ]')])
    await page.waitForSelector('#error:not([hidden])')
    assert.match((await page.textContent('#error')) ?? '', /^authorization_error: /)
    assert.match((await page.textContent('#events')) ?? '', /error: authorization_error/)
    assert.equal(await page.textContent('#status'), 'signedOut')
    await context.close()
  },
)

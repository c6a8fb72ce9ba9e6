import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import { startDemo } from '../../demo/server.js'
import {
  launchBrowser,
  newLoopbackContext,
  readClaimsTable,
  signInAtProvider,
  signInInPopup,
} from '../support/browser.js'
import { repoRoot } from '../support/static-server.js'

let browser: Browser
let demo: Awaited<ReturnType<typeof startDemo>>

before(async () => {
  // The React and Vue demo apps are built with Vite in the test run, against the fresh dist/.
  for (const name of ['react', 'vue']) {
    await build({
      root: `${repoRoot}/demo/${name}`,
      configFile: `${repoRoot}/demo/${name}/vite.config.ts`,
    })
  }
  await mkdir(`${repoRoot}/test-results`, { recursive: true })
  browser = await launchBrowser()
  demo = await startDemo()
})

/** A new browser context with one page on a demo app, signed out and ready. */
async function openSignedOut(path = '', base = demo.url) {
  const context = await newLoopbackContext(browser)
  // Requests that would leave the machine (the provider's pages once imported a web font).
  const elsewhere: string[] = []
  context.on('request', (request) => {
    const { protocol, hostname } = new URL(request.url())
    const here = hostname === '127.0.0.1' || hostname === 'localhost'
    if (/^(https?|wss?):$/.test(protocol) && !here) elsewhere.push(request.url())
  })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${base}${path}`)
  await page.waitForSelector('#login:not([hidden])')
  assert.equal(await page.textContent('#status'), 'signedOut')
  return { context, page, pageErrors, elsewhere }
}

after(async () => {
  await browser?.close()
  await demo?.close()
})

test(
  'the demo page: log in at the provider, see the validated claims and events, log out',
  { timeout: 60_000 },
  async () => {
    const { context, page, elsewhere } = await openSignedOut()

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
    assert.equal(page.url(), demo.url, "the logout's returned state is tidied away")
    assert.deepEqual(elsewhere, [], 'nothing left the machine')
    await context.close()
  },
)

test(
  'a login cancelled at the provider shows the OidcError code',
  { timeout: 60_000 },
  async () => {
    const { context, page } = await openSignedOut()
    await Promise.all([page.waitForNavigation(), page.click('#login')])
    await Promise.all([page.waitForNavigation(), page.click('text=[ Cancel ]')])
    await page.waitForSelector('#error:not([hidden])')
    assert.match((await page.textContent('#error')) ?? '', /^authorization_error: /)
    assert.match((await page.textContent('#events')) ?? '', /error: authorization_error/)
    assert.equal(await page.textContent('#status'), 'signedOut')
    await context.close()
  },
)

test('the demo opened by the name localhost signs in too', { timeout: 60_000 }, async () => {
  const { context, page } = await openSignedOut('', demo.url.replace('127.0.0.1', 'localhost'))
  await Promise.all([page.waitForNavigation(), page.click('#login')])
  await signInAtProvider(page, 'local-user')
  await page.waitForSelector('#claims-card:not([hidden])')
  assert.equal((await readClaimsTable(page)).sub, 'local-user')
  await context.close()
})

test(
  'the demo page: log in in a popup (the page stays), then ask the userinfo endpoint',
  { timeout: 60_000 },
  async () => {
    const { context, page } = await openSignedOut()
    const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#login-popup')])
    await signInInPopup(popup, 'popup-user')
    await page.waitForSelector('#claims-card:not([hidden])')
    assert.equal((await readClaimsTable(page)).sub, 'popup-user')
    await page.click('#userinfo')
    await page.waitForFunction(() =>
      document.querySelector('#api-result')?.textContent?.startsWith('Userinfo'),
    )
    assert.match((await page.textContent('#api-result')) ?? '', /"sub":"popup-user"/)
    await context.close()
  },
)

test(
  'the DPoP switch: the API takes the bound token with its proof, and refuses a copied one',
  { timeout: 60_000 },
  async () => {
    const { context, page, pageErrors } = await openSignedOut()
    await Promise.all([page.waitForNavigation(), page.check('#dpop')])
    await page.waitForSelector('#login:not([hidden])')
    await Promise.all([page.waitForNavigation(), page.click('#login')])
    await signInAtProvider(page, 'dpop-user')
    await page.waitForSelector('#claims-card:not([hidden])')
    assert.equal(await page.textContent('#api-path'), '/api/dpop/me')
    await page.click('#call-api')
    await page.waitForFunction(() =>
      document.querySelector('#api-result')?.textContent?.includes('dpop-user'),
    )
    await page.click('#replay')
    await page.waitForFunction(() => document.querySelector('#replay-result')?.textContent)
    assert.equal(
      await page.textContent('#replay-result'),
      'Exporting the stored private key: refused (InvalidAccessError). The copied token as Bearer: HTTP 401; with a proof by another key: HTTP 401.',
    )
    await page.screenshot({ path: `${repoRoot}/test-results/demo-dpop.png`, fullPage: true })
    assert.deepEqual(pageErrors, [])
    await context.close()
  },
)

for (const name of ['react', 'vue']) {
  test(
    `the ${name} app: log in, the claims render only when signed in, log out`,
    { timeout: 60_000 },
    async () => {
      const { context, page, pageErrors } = await openSignedOut(`${name}/`)
      assert.equal(await page.$('#claims'), null, 'no profile while signed out')

      await Promise.all([page.waitForNavigation(), page.click('#login')])
      await signInAtProvider(page, `${name}-user`)
      await page.waitForSelector('#claims')
      assert.equal(await page.textContent('#status'), 'signedIn')
      const claims = await readClaimsTable(page)
      assert.equal(claims.sub, `${name}-user`)
      assert.equal(claims.iss, demo.issuer)
      assert.equal(
        await page.$('.error'),
        null,
        'no error flashed (React StrictMode calls the callback twice)',
      )
      await page.screenshot({ path: `${repoRoot}/test-results/${name}-signed-in.png` })

      await Promise.all([page.waitForNavigation(), page.click('#logout')])
      await Promise.all([page.waitForNavigation(), page.click('button[value="yes"]')])
      await page.waitForSelector('#login')
      assert.equal(await page.textContent('#status'), 'signedOut')
      assert.equal(await page.$('#claims'), null)
      assert.deepEqual(pageErrors, [])
      await context.close()
    },
  )
}

test('the demo server answers a bad request and keeps serving', async () => {
  // A path that does not decode, and a protected-API call the provider cannot answer.
  assert.equal((await fetch(`${demo.url}%zz`)).status, 400)
  const api = await fetch(`${demo.url}api/me`, { headers: { authorization: 'Bearer x' } })
  assert.equal(api.status, 401)
  assert.equal((await fetch(demo.url)).status, 200)
})

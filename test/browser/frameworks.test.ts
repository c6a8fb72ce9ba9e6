import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
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
  // The demo apps are built with Vite in the test run, against the freshly built dist/.
  for (const name of ['react', 'vue']) {
    await build({
      root: `${repoRoot}/demo/${name}`,
      configFile: `${repoRoot}/demo/${name}/vite.config.ts`,
    })
  }
  browser = await launchBrowser()
  demo = await startDemo()
})

after(async () => {
  await browser?.close()
  await demo?.close()
})

for (const name of ['react', 'vue']) {
  test(
    `the ${name} app: log in, the claims render only when signed in, log out`,
    { timeout: 60_000 },
    async () => {
      const context = await newLoopbackContext(browser)
      const page = await context.newPage()
      const pageErrors: string[] = []
      page.on('pageerror', (error) => pageErrors.push(error.message))
      await page.goto(`${demo.url}${name}/`)
      await page.waitForSelector('#login')
      assert.equal(await page.textContent('#status'), 'signedOut')
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

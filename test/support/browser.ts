// Real Chromium through playwright-core: Debian's /usr/bin/chromium, or CHROME_PATH.
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const chromeFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // No host name but localhost resolves: loopback only, also in a context that routes nothing.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
]

/**
 * Chromium as the tests use it. `ignoreDefaultArgs` drops playwright-core's own flags where a
 * test needs the real behaviour (`--disable-back-forward-cache`, `--disable-popup-blocking`).
 */
export async function launchBrowser({
  ignoreDefaultArgs,
  extraArgs = [],
}: { ignoreDefaultArgs?: string[]; extraArgs?: string[] } = {}): Promise<Browser> {
  const executablePath = process.env.CHROME_PATH ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install it with "apt-get update && apt-get install -y chromium", ` +
        'or point CHROME_PATH at a Chromium or Chrome binary.',
    )
  }
  return chromium.launch({
    executablePath,
    args: [...chromeFlags, ...extraArgs],
    ...(ignoreDefaultArgs && { ignoreDefaultArgs }),
  })
}

/**
 * A browser context that can reach loopback only: anything else (oidc-provider's login page
 * imports a web font) is aborted in the browser, so no test reaches outside the machine.
 */
export async function newLoopbackContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext()
  await context.route(
    (url) => !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname),
    (route) => route.abort('blockedbyclient'),
  )
  return context
}

/**
 * Passes oidc-provider's development login and consent pages as a person would, whichever of
 * them the provider shows (none, with a session and an earlier grant).
 */
export async function signInAtProvider(page: Page, login = 'alice') {
  for (let step = 0; step < 4; step++) {
    if (await page.$('input[name="login"]')) {
      await page.fill('input[name="login"]', login)
      await page.fill('input[name="password"]', 'any password')
    } else if (!(await page.$('button:has-text("Continue")'))) {
      return
    }
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')])
  }
  throw new Error(`still at the provider after four pages: ${page.url()}`)
}

/** Signs in at the provider in a login popup; resolves once the popup has closed itself. */
export async function signInInPopup(popup: Page, login = 'alice') {
  const closed = popup.waitForEvent('close')
  await popup.waitForSelector('input[name="login"]')
  await popup.fill('input[name="login"]', login)
  await popup.fill('input[name="password"]', 'any password')
  await popup.click('button[type="submit"]')
  await popup.waitForSelector('button:has-text("Continue")')
  await popup.click('button[type="submit"]')
  await closed
}

/** The claims a demo page shows in its `#claims` table, by name. */
export async function readClaimsTable(
  page: Page,
): Promise<Record<string, string | null | undefined>> {
  const rows = await page.$$eval('#claims tr', (rows) =>
    rows.map((row) => [row.querySelector('th')?.textContent, row.querySelector('td')?.textContent]),
  )
  return Object.fromEntries(rows)
}

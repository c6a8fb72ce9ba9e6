// Firefox through puppeteer-core over WebDriver BiDi: Debian's firefox-esr (or FIREFOX_PATH),
// headless, no geckodriver and no download.
import puppeteer, { type Page } from 'puppeteer-core'
import { requireBinary, startBlockingProxy, type Driver, type DriverTab } from './index.js'

export async function launch(blocked: Set<string>): Promise<Driver> {
  const executablePath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'
  requireBinary(executablePath, 'firefox-esr', ', or point FIREFOX_PATH at a Firefox binary')
  const proxy = await startBlockingProxy(blocked)
  const browser = await puppeteer
    .launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath,
      headless: true,
      extraPrefsFirefox: {
        // Everything but loopback goes to the blocking proxy (Firefox never proxies loopback).
        'network.proxy.type': 1,
        'network.proxy.http': '127.0.0.1',
        'network.proxy.http_port': proxy.port,
        'network.proxy.ssl': '127.0.0.1',
        'network.proxy.ssl_port': proxy.port,
        'network.proxy.no_proxies_on': 'localhost, 127.0.0.1',
        'browser.safebrowsing.update.enabled': false,
        'network.connectivity-service.enabled': false,
        'network.captive-portal-service.enabled': false,
      },
    })
    .catch((error: unknown) => {
      proxy.server.close()
      throw error
    })
  return {
    version: await browser.version(),
    async newContext() {
      // A user context: its own cookies, storage and BroadcastChannel scope.
      const context = await browser.createBrowserContext()
      return {
        async open(url) {
          const page = await context.newPage()
          await page.goto(url)
          return tab(page)
        },
        close: () => context.close(),
      }
    },
    async close() {
      await browser.close()
      proxy.server.close()
    },
  }
}

const tab = (page: Page): DriverTab => ({
  run: (expression) => page.evaluate(expression),
  goto: async (url) => void (await page.goto(url)),
  reload: async () => void (await page.reload()),
  click: (selector) => page.click(selector),
  type: (selector, text) => page.locator(selector).fill(text),
  close: () => page.close(),
})

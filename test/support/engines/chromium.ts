// Chromium through playwright-core: Debian's /usr/bin/chromium, or CHROME_PATH.
import type { Page } from 'playwright-core'
import { launchBrowser } from '../browser.js'
import { isLoopback, type Driver, type DriverTab } from './index.js'

export async function launch(blocked: Set<string>): Promise<Driver> {
  const browser = await launchBrowser()
  return {
    version: `chromium/${browser.version()}`,
    async newContext() {
      const context = await browser.newContext()
      // Anything outside loopback is refused, and its host recorded.
      await context.route(
        (url) => !isLoopback(url.hostname),
        (route) => {
          blocked.add(new URL(route.request().url()).hostname)
          return route.abort('blockedbyclient')
        },
      )
      return {
        async open(url) {
          const page = await context.newPage()
          await page.goto(url)
          return tab(page)
        },
        close: () => context.close(),
      }
    },
    close: () => browser.close(),
  }
}

const tab = (page: Page): DriverTab => ({
  run: (expression) => page.evaluate(expression),
  goto: async (url) => void (await page.goto(url)),
  reload: async () => void (await page.reload()),
  click: (selector) => page.click(selector),
  type: (selector, text) => page.fill(selector, text),
  close: () => page.close(),
})

// The benchmark's apps, one per library (pages/apps.js), and how to drive them in Chromium.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchBrowser, newLoopbackContext, signInAtProvider } from '../support/browser.js'
import { startProvider, type TestProvider } from '../support/provider.js'
import { startStaticServer, type StaticServer } from '../support/static-server.js'

export interface App {
  name: string
  page: string
  /** Options of the library's client, where it has a choice that matters. */
  options?: Record<string, unknown>
}

export const apps: App[] = [
  { name: 'oidc-browser', page: 'oidc-browser' },
  { name: 'oidc-client-ts', page: 'oidc-client-ts' },
  { name: 'auth0-spa-js (default: memory cache)', page: 'auth0' },
  {
    name: 'auth0-spa-js (localstorage, refresh tokens)',
    page: 'auth0',
    options: { cacheLocation: 'localstorage', useRefreshTokens: true },
  },
]

declare global {
  interface Window {
    __bench: { issuer: string; options?: Record<string, unknown> | undefined }
    app: {
      ready: Promise<{ signedIn: boolean; ms: number }>
      login(): Promise<unknown>
      forget(): Promise<unknown>
      freshToken(): Promise<string>
    }
  }
}

export interface Bench {
  browser: Browser
  server: StaticServer
  op: TestProvider
  close(): Promise<void>
}

/** Chromium, the apps on a static server, and oidc-provider with the routes all three libraries can use. */
export async function startBench(): Promise<Bench> {
  const browser = await launchBrowser()
  const server = await startStaticServer({
    '/bench/': 'test/bench/pages',
    '/dist/': 'dist',
    '/node_modules/': 'node_modules',
  })
  const pages = ['oidc-browser', 'oidc-client-ts', 'auth0'].map(
    (page) => `${server.origin}/bench/${page}.html`,
  )
  const op = await startProvider({ redirectUris: pages, auth0Routes: true })
  return {
    browser,
    server,
    op,
    async close() {
      await browser.close()
      await server.close()
      await op.close()
    },
  }
}

/** A fresh browser profile whose pages get the app's configuration. */
export async function newAppContext(bench: Bench, app: App): Promise<BrowserContext> {
  const context = await newLoopbackContext(bench.browser)
  await context.addInitScript((config) => (window.__bench = config), {
    issuer: bench.op.issuer,
    options: app.options,
  })
  return context
}

export const appUrl = (bench: Bench, app: App) => `${bench.server.origin}/bench/${app.page}.html`

/** The app's outcome on this page load; throws when it did not end signed in as expected. */
export async function ready(page: Page, signedIn = true) {
  const result = await page.evaluate(() => window.app.ready)
  if (result.signedIn !== signedIn) throw new Error(`${page.url()}: signedIn is ${result.signedIn}`)
  return result
}

/** Log in from the app: to the provider, through its pages if it shows any, and back. */
export async function logIn(page: Page) {
  await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.app.login())])
  await signInAtProvider(page)
  await page.waitForURL((url) => url.pathname.startsWith('/bench/'))
  return ready(page)
}

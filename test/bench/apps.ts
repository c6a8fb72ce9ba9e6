// The benchmark's apps, one per library (pages/apps.js), and how to drive them in Chromium.
import { readFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchBrowser, newLoopbackContext, signInAtProvider } from '../support/browser.js'
import { startProvider, type TestProvider } from '../support/provider.js'
import { repoRoot, startStaticServer, type StaticServer } from '../support/static-server.js'

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

/** The outcome of one page load: library time (SPEC) and whole-page time, milliseconds. */
export interface Ready {
  signedIn: boolean
  /** From the first statement of the app's bundle to the state being known. */
  library: number
  /** From the navigation's start to the state being known. */
  page: number
}

// Each app is one script, as a bundler would emit it: a first statement that marks the time,
// the library's browser build, then the app.
const libraries: Record<string, string> = {
  'oidc-browser': 'dist/oidc-browser.iife.min.js',
  'oidc-client-ts': 'node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js',
  'auth0': 'node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js',
}

declare global {
  interface Window {
    __bench: { issuer: string; options?: Record<string, unknown> | undefined }
    /** `performance.now()` at the first statement of the app's bundle. */
    t1: number
    app: {
      ready: Promise<Ready>
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
  for (const [page, library] of Object.entries(libraries)) {
    server.route(`/bench/${page}.js`, async (_req, res) => {
      const parts = [`${library}`, 'test/bench/pages/apps.js'].map((file) =>
        readFile(`${repoRoot}/${file}`, 'utf8'),
      )
      const [lib, app] = await Promise.all(parts)
      const bundle = `window.t1 = performance.now();\n${lib}\n;${app}\nstartApp('${page}')\n`
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      res.end(bundle)
    })
  }
  const pages = Object.keys(libraries).map((page) => `${server.origin}/bench/${page}.html`)
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
export async function ready(page: Page, signedIn = true): Promise<Ready> {
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

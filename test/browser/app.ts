// Helpers for driving the test app pages (pages/harness.js) in real Chromium.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import assert from 'node:assert/strict'
import { launchBrowser, newLoopbackContext, signInAtProvider } from '../support/browser.js'
import { startProvider, type ProviderOptions, type TestProvider } from '../support/provider.js'
import { startStaticServer, type StaticServer } from '../support/static-server.js'
import { readStoredRecords } from '../support/stored-records.js'

export interface HarnessResult {
  ok: boolean
  code?: string
  reason?: string | null
  returnTo?: string | null
  isOidcError?: boolean
  state?: { status: string; claims?: Record<string, unknown>; expiresAt?: number; error?: unknown }
}

declare global {
  interface Window {
    __testConfig: Record<string, unknown>
    ready: Promise<HarnessResult>
    client: any
    lib: any
    makeClient: (options: Record<string, unknown>) => any
    events: { type: string; status: string | null; code: string | null }[]
  }
}

export async function newApp(
  context: BrowserContext,
  url: string,
  client?: Record<string, unknown>,
): Promise<Page> {
  const page = await context.newPage()
  if (client)
    await page.addInitScript(
      (options) => (window.__testConfig = { ...window.__testConfig, client: options }),
      client,
    )
  await page.goto(url)
  return page
}

export const ready = (page: Page) => page.evaluate(() => window.ready)

/** Clicks "log in" in the app, signs in at the provider and waits for the app to finish the callback. */
export async function logIn(
  page: Page,
  { login = 'alice', ...options }: { login?: string; returnTo?: string; prompt?: string } = {},
) {
  await Promise.all([
    page.waitForNavigation(),
    page.evaluate((options) => void window.client.login(options), options),
  ])
  await signInAtProvider(page, login)
  return ready(page)
}

/** The IndexedDB key of one of a client's records (`session`, `jwks`, `tx:<state>`…). */
export const recordKey = (issuer: string, name: string, clientId = 'spa') =>
  JSON.stringify([issuer, clientId]) + name

/** The name of the Web Lock a client refreshes under. */
export const refreshLock = (issuer: string, clientId = 'spa') =>
  `oidc-browser${JSON.stringify([issuer, clientId])}refresh`

/** Every record of oidc-browser's IndexedDB store, by key, read in the page. */
export const storedRecords = (page: Page) => page.evaluate(readStoredRecords)

/** Every key of oidc-browser's IndexedDB store. */
export const storedKeys = async (page: Page) => Object.keys(await storedRecords(page))

/** Rewrites one record of oidc-browser's IndexedDB store in the page. */
export function editRecord(page: Page, key: string, edit: string): Promise<void> {
  return page.evaluate(
    ({ key, edit }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('oidc-browser')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const store = open.result.transaction('kv', 'readwrite').objectStore('kv')
          const get = store.get(key)
          get.onsuccess = () => {
            store.put(new Function('record', edit)(get.result), key).onsuccess = () => {
              open.result.close()
              resolve()
            }
          }
        }
      }),
    { key, edit },
  )
}

/**
 * A signed-in context whose pages run on Playwright's clock, paused: page time moves only when
 * the test moves it, so a token can be made to expire without waiting, and no timer fires.
 */
export async function signedInTabs(
  { browser, op, iife }: Harness,
  count: number,
  prepare?: (context: BrowserContext) => Promise<unknown>,
): Promise<{ context: BrowserContext; tabs: Page[] }> {
  const context = await newLoopbackContext(browser)
  await prepare?.(context)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), op.issuer)
  await context.clock.install()
  const first = await newApp(context, iife)
  await ready(first)
  const result = await logIn(first)
  assert.equal(result.ok, true, JSON.stringify(result))
  await context.clock.pauseAt(Date.now() + 1000)
  const tabs = [first]
  for (let i = 1; i < count; i++) {
    const tab = await newApp(context, iife)
    assert.equal((await ready(tab)).state?.status, 'signedIn')
    tabs.push(tab)
  }
  return { context, tabs }
}

/** Moves page time to a few seconds before the held access token expires. */
export async function makeTokensExpiring(context: BrowserContext, page: Page) {
  const expiresAt = await page.evaluate(() => window.client.getState().expiresAt)
  await context.clock.setSystemTime((expiresAt - 5) * 1000)
}

/** A loopback-only context whose pages are the test app of the provider at `issuer`. */
export async function issuerContext(browser: Browser, issuer: string): Promise<BrowserContext> {
  const context = await newLoopbackContext(browser)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), issuer)
  return context
}

/**
 * A loopback-only context whose pages are the test app of `harness`'s provider (with the shim
 * that functions passed to `evaluate` need under tsx).
 */
export async function appContext(harness: Harness): Promise<BrowserContext> {
  const context = await newLoopbackContext(harness.browser)
  await context.addInitScript((issuer) => {
    ;(window as any).__name = (fn: unknown) => fn
    window.__testConfig = { issuer }
  }, harness.op.issuer)
  return context
}

export interface Harness {
  browser: Browser
  app: StaticServer
  op: TestProvider
  /** The test app on the script-tag build, and on the ES module build. */
  iife: string
  esm: string
}

/**
 * Chromium, the test pages on a static server, and a provider whose client `spa` may redirect to
 * them (and to `extraPages`, paths on the same server). `stopHarness` closes it all.
 */
export async function startHarness(
  options: Omit<ProviderOptions, 'redirectUris'> & { extraPages?: string[] } = {},
): Promise<Harness> {
  const { extraPages = [], ...providerOptions } = options
  const browser = await launchBrowser()
  const app = await startStaticServer({
    '/pages/': 'test/browser/pages',
    '/dist/': 'dist',
    '/node_modules/': 'node_modules',
  })
  const iife = `${app.origin}/pages/iife.html`
  const esm = `${app.origin}/pages/esm.html`
  const pages = [iife, esm, ...extraPages.map((path) => app.origin + path)]
  const op = await startProvider({
    redirectUris: pages,
    postLogoutRedirectUris: pages,
    ...providerOptions,
  })
  return { browser, app, op, iife, esm }
}

export async function stopHarness(harness: Partial<Harness>) {
  await harness.browser?.close()
  await harness.app?.close()
  await harness.op?.close()
}

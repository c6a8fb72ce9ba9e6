// The test app (test/browser/pages, the built dist/) and a real provider, for every engine. The
// app's config comes from a script the server writes (no engine-specific init scripts), so each
// variant is a page of its own: `app` (script tag), `memory` (persist: 'memory'), `dpop`, `sandboxed`
// (an opaque origin: no IndexedDB), `strict` (a strict CSP with Trusted Types) and `hurried` (long
// timers run 100 times faster: the page clock moved on, so a 5 s deadline passes in 50 ms).
import { readFile } from 'node:fs/promises'
import type { HarnessResult } from '../browser/app.js'
import { startProvider, type ProviderOptions, type TestProvider } from '../support/provider.js'
import { repoRoot, startStaticServer, type StaticServer } from '../support/static-server.js'
import type { Tab } from '../support/engines/index.js'
import { readStoredRecords } from '../support/stored-records.js'

export const variants = ['app', 'memory', 'dpop', 'sandboxed', 'strict', 'hurried'] as const
export type Variant = (typeof variants)[number]

export interface App {
  op: TestProvider
  server: StaticServer
  url(variant?: Variant): string
  /** Every redirect from the provider back to the app with a `code`, in order. */
  callbacks: string[]
  close(): Promise<void>
}

export async function startApp(options: Omit<ProviderOptions, 'redirectUris'> = {}): Promise<App> {
  const server = await startStaticServer({ '/pages/': 'test/browser/pages', '/dist/': 'dist' })
  const url = (variant: Variant = 'app') => `${server.origin}/engines/${variant}.html`
  const pages = variants.map(url)
  const op = await startProvider({ redirectUris: pages, postLogoutRedirectUris: pages, ...options })
  const callbacks: string[] = []
  op.provider.on('authorization.success', (ctx, out) => {
    const redirectUri = String(ctx.oidc.params?.redirect_uri)
    if (out?.code)
      callbacks.push(`${redirectUri}?${new URLSearchParams(out as Record<string, string>)}`)
  })
  const iife = await readFile(`${repoRoot}/test/browser/pages/iife.html`, 'utf8')
  const csp = await readFile(`${repoRoot}/test/browser/pages/csp.html`, 'utf8')
  const headers: Partial<Record<Variant, string>> = {
    sandboxed: 'sandbox allow-scripts',
    strict: [
      "default-src 'none'",
      "script-src 'self'",
      `connect-src ${op.issuer}`,
      "require-trusted-types-for 'script'",
      'trusted-types none',
    ].join('; '),
  }
  for (const variant of variants) {
    const config = {
      issuer: op.issuer,
      ...(variant === 'memory' && { client: { persist: 'memory' } }),
      ...(variant === 'dpop' && { client: { dpop: true } }),
    }
    server.route(`/engines/${variant}.js`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      res.end(
        `window.__testConfig = ${JSON.stringify(config)}\n` +
          'window.violations = []\n' +
          "document.addEventListener('securitypolicyviolation', (event) =>\n" +
          "  window.violations.push(event.violatedDirective + ' ' + event.blockedURI))\n" +
          (variant === 'hurried'
            ? '{\n  const wait = setTimeout\n' +
              '  window.setTimeout = (task, ms, ...args) => wait(task, ms >= 1000 ? ms / 100 : ms, ...args)\n}\n'
            : ''),
      )
    })
    const html = (variant === 'strict' ? csp : iife).replace(
      '<body>',
      `<body>\n    <script src="/engines/${variant}.js"></script>`,
    )
    server.route(`/engines/${variant}.html`, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        'cache-control': 'no-store',
        ...(headers[variant] && { 'content-security-policy': headers[variant] }),
      })
      res.end(html)
    })
  }
  return {
    op,
    server,
    url,
    callbacks,
    async close() {
      await server.close()
      await op.close()
    },
  }
}

/** Waits for the app page to be loaded, then for its callback or restore to settle. */
export async function ready(tab: Tab): Promise<HarnessResult> {
  await tab.waitFor(() => !(window as any).__left && !!window.ready, undefined, {
    message: 'the app page',
  })
  return tab.evaluate(() => window.ready)
}

/** Marks the current document, so that `passProvider` can tell when another one has loaded. */
const leave = (tab: Tab) => tab.evaluate(() => void ((window as any).__left = true))

/**
 * Goes through the provider's pages as a person would (login form, consent, logout
 * confirmation: whichever it shows) until the browser is back at the app.
 */
export async function passProvider(tab: Tab, issuer: string, login = 'alice') {
  for (let step = 0; step < 5; step++) {
    const page = await tab.waitFor(
      (origin) => {
        if ((window as any).__left || document.readyState === 'loading') return ''
        if (location.origin !== origin) return 'app'
        if (document.querySelector('input[name="login"]')) return 'login'
        if (document.querySelector('button[value="yes"]')) return 'logout'
        const buttons = [...document.querySelectorAll('button[type="submit"]')]
        return buttons.some((button) => /Continue/.test(button.textContent ?? '')) ? 'consent' : ''
      },
      new URL(issuer).origin,
      { message: 'a page of the provider or the app' },
    )
    if (page === 'app') return
    if (page === 'login') {
      await tab.type('input[name="login"]', login)
      await tab.type('input[name="password"]', 'any password')
    }
    await leave(tab)
    await tab.click(page === 'logout' ? 'button[value="yes"]' : 'button[type="submit"]')
  }
  throw new Error('still at the provider after five pages')
}

/** Clicks "log in" in the app, signs in at the provider, and waits for the callback to settle. */
export async function logIn(
  tab: Tab,
  issuer: string,
  { login = 'alice', ...options }: { login?: string; returnTo?: string; prompt?: string } = {},
): Promise<HarnessResult> {
  await leave(tab)
  await tab.evaluate((options) => void window.client.login(options), options)
  await passProvider(tab, issuer, login)
  return ready(tab)
}

/** Logs out at the provider (confirming on its page) and waits for the app to be back. */
export async function logOutAtProvider(tab: Tab, issuer: string): Promise<HarnessResult> {
  await leave(tab)
  await tab.evaluate(() => void window.client.logout())
  await passProvider(tab, issuer)
  return ready(tab)
}

export const status = (tab: Tab): Promise<string> =>
  tab.evaluate(() => window.client.getState().status)

export const waitForStatus = (tab: Tab, status: string) =>
  tab.waitFor((status) => window.client.getState().status === status, status, {
    message: `state ${status}`,
  })

/** Every record of oidc-browser's IndexedDB store, by key, read in the page. */
export const storedRecords = (tab: Tab): Promise<Record<string, any>> =>
  tab.evaluate(readStoredRecords)

/** The key of the stored session, whatever the namespace looks like: the one ending in `session`. */
export const sessionKey = (records: Record<string, unknown>) =>
  Object.keys(records).find((key) => key.endsWith('session'))

/** Replaces one record of oidc-browser's IndexedDB store, in the page. */
export const putRecord = (tab: Tab, key: string, value: unknown) =>
  tab.evaluate(
    ({ key, value }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('oidc-browser')
        open.onerror = () => reject(open.error)
        open.onsuccess = () => {
          const transaction = open.result.transaction('kv', 'readwrite')
          transaction.objectStore('kv').put(value, key)
          transaction.oncomplete = () => {
            open.result.close()
            resolve()
          }
        }
      }),
    { key, value },
  )

/** The requests the library itself makes; the rest are the browser's navigations. */
export const libraryRequests = (requests: string[]) =>
  requests.filter((request) => /\/(\.well-known\/openid-configuration|jwks|token)$/.test(request))

/** A JWT's payload, decoded. */
export const jwtPart = (jwt: string, part: 0 | 1) =>
  JSON.parse(Buffer.from(jwt.split('.')[part], 'base64url').toString())

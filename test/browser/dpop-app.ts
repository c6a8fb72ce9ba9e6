// The DPoP browser tests' harness: the test provider, a resource server that checks proofs, and
// a Chromium whose pages run without Playwright routes, so that CORS preflights are real.
import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { chromium, type Browser, type Page } from 'playwright-core'
import { chromeFlags } from '../support/browser.js'
import type { TestProvider } from '../support/provider.js'
import { startResourceServer, type ResourceServer } from '../support/resource-server.js'
import { logIn, newApp, ready, recordKey, startHarness, stopHarness, type Harness } from './app.js'

// A short access-token lifetime, so that tokens start expiring after half of it (45 s).
const accessTokenTtl = 90

export let harness: Harness
export let op: TestProvider
export let api: ResourceServer
// CORS as browsers do it: Playwright answers preflights itself while any route is set, so these
// pages run without routes, in a browser that resolves no host name but localhost.
let browser: Browser

/** Starts the harness before a test file's tests and stops it after; read it from the exports. */
export function useDpopHarness() {
  before(async () => {
    harness = await startHarness({ accessTokenTtl })
    op = harness.op
    api = await startResourceServer(op, { appOrigin: harness.app.origin })
    browser = await chromium.launch({
      executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
      args: [
        ...chromeFlags,
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
      ],
    })
  })
  after(async () => {
    await browser?.close()
    await api?.close()
    await stopHarness(harness)
  })
}

export const dpopClient = () => ({ dpop: true, apiOrigins: [api.origin] })

export async function newContext(provider = op, client: Record<string, unknown> = dpopClient()) {
  const context = await browser.newContext()
  // With the shim that named functions passed to `evaluate` need under tsx.
  await context.addInitScript(
    ({ issuer, client }) => {
      ;(window as any).__name = (fn: unknown) => fn
      window.__testConfig = { issuer, client }
    },
    { issuer: provider.issuer, client },
  )
  return context
}

/** The stored session as the page sees it: its tokens, and what can be done with its key. */
export function storedSession(page: Page, key: string) {
  return page.evaluate(async (key) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('oidc-browser')
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    const record = await new Promise<any>((resolve) => {
      const get = db.transaction('kv').objectStore('kv').get(key)
      get.onsuccess = () => resolve(get.result)
    })
    db.close()
    if (!record) return undefined
    const { privateKey, publicKey } = record.dpopKey ?? {}
    const exported = await crypto.subtle.exportKey('jwk', privateKey).then(
      () => 'exported',
      (error: Error) => error.name,
    )
    return {
      accessToken: record.accessToken as string,
      refreshToken: record.refreshToken as string,
      isCryptoKey: privateKey instanceof CryptoKey,
      extractable: privateKey.extractable as boolean,
      exported,
      publicJwk: (await crypto.subtle.exportKey('jwk', publicKey)) as JsonWebKey,
    }
  }, key)
}

export const thumbprintOf = (jwk: JsonWebKey) => calculateJwkThumbprint(jwk as JWK)
export const sessionKey = (provider = op) => recordKey(provider.issuer, 'session')
export const fetchMe = (page: Page, url: string, init?: RequestInit) =>
  page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await window.client.fetch(url, init)
        return { status: response.status, type: response.type, body: await response.text() }
      } catch (error: any) {
        return { code: error.code as string }
      }
    },
    { url, init },
  )
export const tokenRequests = (provider: TestProvider) =>
  provider.requests.filter((request) => request.endsWith(' /token'))

/** Signed-in tabs on a paused page clock, as `signedInTabs` of app.ts makes them, with DPoP. */
export async function signedInTabs(count: number, client: Record<string, unknown> = dpopClient()) {
  const context = await newContext(op, client)
  await context.clock.install()
  const tabs = [await newApp(context, harness.iife)]
  await ready(tabs[0])
  assert.equal((await logIn(tabs[0])).ok, true)
  await context.clock.pauseAt(Date.now() + 1000)
  for (let i = 1; i < count; i++) {
    tabs.push(await newApp(context, harness.iife))
    assert.equal((await ready(tabs[i])).state?.status, 'signedIn')
  }
  return { context, tabs }
}

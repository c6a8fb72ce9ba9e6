// No access, refresh or ID token, nor anything JWT-shaped, in any error message, cause,
// state, event detail or console line, along every failure path the browser can reach.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { newLoopbackContext } from '../support/browser.js'
import type { TestProvider } from '../support/provider.js'
import {
  editRecord,
  logIn,
  newApp,
  ready,
  recordKey,
  startHarness,
  stopHarness,
  type Harness,
} from './app.js'

let browser: Browser
let op: TestProvider
let iife: string
let harness: Harness

before(async () => ({ browser, op, iife } = harness = await startHarness({ accessTokenTtl: 90 })))
after(() => stopHarness(harness))

const jwtShaped = /eyJ[\w-]{4,}\.[\w-]{4,}/

function tokensOf(
  page: Page,
): Promise<{ idToken: string; accessToken: string; refreshToken: string }> {
  return page.evaluate(
    (key) =>
      new Promise((resolve) => {
        const open = indexedDB.open('oidc-browser')
        open.onsuccess = () => {
          const get = open.result.transaction('kv').objectStore('kv').get(key)
          get.onsuccess = () => resolve(get.result)
        }
      }),
    recordKey(op.issuer, 'session'),
  )
}

test('failure paths leak no token anywhere the app can see', { timeout: 90_000 }, async () => {
  const context = await newLoopbackContext(browser)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), op.issuer)
  const seen: string[] = []
  const watch = (page: Page) => {
    page.on('console', (message) => seen.push(message.text()))
    page.on('pageerror', (error) => seen.push(`${error.message}\n${error.stack}`))
  }
  const collect = async (page: Page) => {
    seen.push(...(await page.evaluate(() => (window as unknown as { audit: string[] }).audit)))
    seen.push(await page.evaluate(() => JSON.stringify(window.client.getState())))
  }

  let callbackUrl = ''
  const page = await context.newPage()
  watch(page)
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.url().includes('code='))
      callbackUrl = request.url()
  })
  await page.goto(iife)
  await ready(page)
  assert.equal((await logIn(page)).ok, true)
  const tokens = await tokensOf(page)
  const secrets = [
    tokens.idToken,
    tokens.accessToken,
    tokens.refreshToken,
    new URL(callbackUrl).searchParams.get('code')!,
  ]

  // 1. A replayed callback URL.
  const replay = await newApp(context, callbackUrl)
  watch(replay)
  assert.equal((await ready(replay)).code, 'invalid_callback')
  await collect(replay)

  // 2. A refresh that fails on the network, then one the provider refuses.
  await context.clock.install()
  const expiresAt = await page.evaluate(() => window.client.getState().expiresAt)
  await context.clock.setSystemTime((expiresAt - 5) * 1000)
  await page.route(`${op.issuer}/token`, (route) => route.abort('internetdisconnected'))
  const failures: string[] = await page.evaluate(async () => {
    const out: string[] = []
    await window.client
      .getAccessToken()
      .catch((error: Error) => out.push((window as any).describeError(error)))
    return out
  })
  await page.unroute(`${op.issuer}/token`)
  await fetch(`${op.issuer}/token/revocation`, {
    method: 'POST',
    body: new URLSearchParams({ token: tokens.refreshToken, client_id: 'spa' }),
  })
  failures.push(
    ...(await page.evaluate(async () => {
      const out: string[] = []
      await window.client
        .getAccessToken()
        .catch((error: Error) => out.push((window as any).describeError(error)))
      return out
    })),
  )
  assert.equal(failures.length, 2)
  seen.push(...failures)
  await collect(page)

  // 3. A session record tampered with in IndexedDB (signed in again first).
  await page.clock.resume()
  await page.reload()
  await ready(page)
  assert.equal((await logIn(page, { prompt: 'login' })).ok, true)
  const again = await tokensOf(page)
  secrets.push(again.idToken, again.accessToken, again.refreshToken)
  await editRecord(
    page,
    recordKey(op.issuer, 'session'),
    `return { ...record, idToken: record.idToken.slice(0, -4) + 'AAAA' }`,
  )
  await page.reload()
  assert.equal((await ready(page)).state?.status, 'signedOut')
  await collect(page)

  // 4. A provider error and an issuer mix-up at the callback.
  for (const query of [
    'error=access_denied&error_description=no',
    `code=x&iss=${encodeURIComponent('http://127.0.0.1:1')}`,
  ]) {
    const state = new URL(
      await page.evaluate(() => window.client.createLoginUrl()),
    ).searchParams.get('state')
    await page.goto(`${iife}?${query}&state=${state}`)
    assert.equal((await ready(page)).ok, false)
    await collect(page)
  }

  assert.ok(seen.length > 10, 'the audit saw the failures')
  for (const line of seen) {
    for (const secret of secrets)
      assert.ok(!line.includes(secret), `a token or code leaked into: ${line.slice(0, 80)}…`)
    assert.doesNotMatch(line, jwtShaped, 'something JWT-shaped leaked')
  }
  console.log(
    `leak audit: ${seen.length} messages, states, event details and console lines scanned; none holds a token`,
  )
  await context.close()
})

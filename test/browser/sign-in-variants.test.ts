// Sign-in in other set-ups: memory persistence and two clients on one origin, the ES module
// build, provider keys of each algorithm family, and app listeners that throw.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext } from 'playwright-core'
import { startProvider, type TestProvider } from '../support/provider.js'
import {
  issuerContext,
  logIn,
  newApp,
  ready,
  startHarness,
  stopHarness,
  storedKeys,
  type Harness,
} from './app.js'
import { until } from './rogue-app.js'

let browser: Browser
let op: TestProvider
let iife: string
let esm: string
let harness: Harness

const newContext = (provider: TestProvider = op): Promise<BrowserContext> =>
  issuerContext(browser, provider.issuer)

before(async () => {
  ;({ browser, op, iife, esm } = harness = await startHarness())
})

after(() => stopHarness(harness))

describe('persistence', { timeout: 60_000 }, () => {
  test("persist: 'memory' leaves nothing in IndexedDB, and a reload forgets the session", async () => {
    const context = await newContext()
    const page = await newApp(context, iife, { persist: 'memory' })
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedIn')
    assert.deepEqual(await storedKeys(page), [], 'no record of any kind after the login')
    await page.reload()
    assert.equal((await ready(page)).state?.status, 'signedOut')
    await context.close()
  })

  test('two clients on one origin never see each other', async () => {
    const context = await newContext()
    const first = await newApp(context, iife)
    await ready(first)
    assert.equal((await logIn(first, { login: 'alice' })).ok, true)
    const second = await newApp(context, iife, { clientId: 'spa-2' })
    assert.equal((await ready(second)).state?.status, 'signedOut')
    assert.equal((await logIn(second, { login: 'bob', prompt: 'login' })).ok, true)
    assert.equal(await second.evaluate(() => window.client.getState().claims.sub), 'bob')
    await first.reload()
    assert.equal((await ready(first)).state?.claims?.sub, 'alice')
    await second.evaluate(() => window.client.logout({ localOnly: true }))
    await first.reload()
    assert.equal((await ready(first)).state?.claims?.sub, 'alice')
    await second.reload()
    assert.equal((await ready(second)).state?.status, 'signedOut')
    await context.close()
  })
})

describe('the ES module build', { timeout: 60_000 }, () => {
  test('logs in and restores with zero requests', async () => {
    const context = await newContext()
    const page = await newApp(context, esm)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    assert.equal(await page.evaluate(() => window.client.getState().claims.sub), 'alice')
    op.requests.length = 0
    await page.reload()
    assert.equal((await ready(page)).state?.status, 'signedIn')
    assert.deepEqual(op.requests, [])
    assert.deepEqual(
      await page.evaluate(() => Object.keys(window.lib).sort()),
      await page.evaluate(async () =>
        Object.keys((await import('/dist/index.js' as string)) as object).sort(),
      ),
    )
    await context.close()
  })
})

describe('provider keys of each algorithm family', { timeout: 90_000 }, () => {
  for (const alg of ['ES256', 'PS256', 'EdDSA']) {
    test(`${alg} ID tokens are verified end to end`, async () => {
      const provider = await startProvider({ alg, redirectUris: [iife] })
      const context = await newContext(provider)
      try {
        const page = await newApp(context, iife)
        await ready(page)
        const result = await logIn(page)
        assert.equal(result.ok, true, JSON.stringify(result))
        const header = await page.evaluate(async () => {
          const { idToken } = await new Promise<any>((resolve) => {
            const open = indexedDB.open('oidc-browser')
            open.onsuccess = () => {
              const store = open.result.transaction('kv').objectStore('kv')
              const all = store.getAll()
              all.onsuccess = () => resolve(all.result.find((record: any) => record?.idToken))
            }
          })
          return JSON.parse(atob(idToken.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')))
        })
        assert.equal(header.alg, alg)
      } finally {
        await context.close()
        await provider.close()
      }
    })
  }
})

describe('listeners', { timeout: 60_000 }, () => {
  test('a listener that throws breaks neither the other listeners nor the flow', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const seen = await page.evaluate(async () => {
      const seen: string[] = []
      window.client.subscribe(() => {
        throw new Error('subscriber bug')
      })
      window.client.addEventListener('signedout', () => {
        throw new Error('listener bug')
      })
      window.client.subscribe((state: { status: string }) =>
        seen.push(`subscriber:${state.status}`),
      )
      window.client.addEventListener('signedout', () => seen.push('listener:signedout'))
      await window.client.logout({ localOnly: true })
      return seen
    })
    assert.deepEqual(seen, ['subscriber:signedOut', 'listener:signedout'])
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    await until(() => pageErrors.length >= 2, 'both listener errors reach the page')
    assert.deepEqual(
      pageErrors.sort(),
      ['listener bug', 'subscriber bug'],
      'both errors reported, neither swallowed',
    )
    await context.close()
  })
})

// A provider whose token response, callback URL or discovery document is wrong, one thing at a
// time, through real Chromium: every outcome is a typed OidcError with the SPEC's code, the state
// is signedOut, no session reaches IndexedDB, and no token shows in what the app can see.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Faults, RogueProvider } from '../support/rogue-provider.js'
import type { StaticServer } from '../support/static-server.js'
import { newApp, ready, storedKeys, type HarnessResult } from './app.js'
import { assertRejected, attackHelpers, hasSession } from './attack-support.js'
import { startRogueHarness, stopRogueHarness, type RogueHarness } from './rogue-app.js'

let harness: RogueHarness
let server: StaticServer
let rogue: RogueProvider
let iife: string

before(async () => ({ server, rogue, iife } = harness = await startRogueHarness()))
after(() => stopRogueHarness(harness))

const { newContext, attack } = attackHelpers(() => harness)

describe('attacks through the browser', { timeout: 120_000 }, () => {
  const tokenAttacks: [string, Faults][] = [
    [
      'no id_token',
      { tokenResponse: (a) => ({ ...a, body: { ...(a.body as object), id_token: undefined } }) },
    ],
    [
      "token_type 'mac'",
      { tokenResponse: (a) => ({ ...a, body: { ...(a.body as object), token_type: 'mac' } }) },
    ],
    [
      'access_token as a number',
      { tokenResponse: (a) => ({ ...a, body: { ...(a.body as object), access_token: 7 } }) },
    ],
    [
      'an HTML page',
      { tokenResponse: (a) => ({ ...a, contentType: 'text/html', body: '<html>' }) },
    ],
    ['a JSON array', { tokenResponse: (a) => ({ ...a, body: [a.body] }) }],
    ['a 500 with a valid body', { tokenResponse: (a) => ({ ...a, status: 500 }) }],
    ['4 MB that are not JSON', { tokenResponse: (a) => ({ ...a, body: 'x'.repeat(4 << 20) }) }],
  ]
  for (const [name, faults] of tokenAttacks) {
    test(`token response: ${name} is token_error`, async () => {
      await assertRejected(await attack(faults), 'token_error')
    })
  }

  const callbackAttacks: [string, Faults, string][] = [
    ['state twice', { callback: (q) => [...q, ['state', q[1][1]]] }, 'invalid_callback'],
    [
      'state of no login',
      { callback: (q) => q.map(([n, v]) => [n, n === 'state' ? 'forged' : v]) },
      'invalid_callback',
    ],
    [
      'a 10 kB non-ASCII state',
      { callback: (q) => q.map(([n, v]) => [n, n === 'state' ? 'é☃𝄞'.repeat(400) : v]) },
      'invalid_callback',
    ],
    [
      'iss of another issuer',
      { callback: (q) => [...q, ['iss', 'https://evil.example']] },
      'issuer_mismatch',
    ],
  ]
  for (const [name, faults, code] of callbackAttacks) {
    test(`callback URL: ${name} is ${code}`, async () => {
      await assertRejected(await attack(faults), code)
    })
  }

  test('callback URL: without code it is no callback; handled all the same it is invalid_callback', async () => {
    rogue.faults = { callback: (query) => query.filter(([name]) => name !== 'code') }
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
    assert.equal((await ready(page)).state?.status, 'signedOut')
    const code = await page.evaluate(() =>
      window.client.handleRedirectCallback().catch((error: { code: string }) => error.code),
    )
    assert.equal(code, 'invalid_callback')
    assert.equal(hasSession(await storedKeys(page)), false)
    await context.close()
    rogue.faults = {}
  })

  test('discovery of another issuer, or with a relative endpoint: login throws discovery_error before leaving', async () => {
    for (const discovery of [
      (d: Record<string, unknown>) => ({ ...d, issuer: 'https://evil.example' }),
      (d: Record<string, unknown>) => ({ ...d, authorization_endpoint: '/authorize' }),
    ]) {
      rogue.faults = { discovery }
      const context = await newContext()
      const page = await newApp(context, iife)
      await ready(page)
      const code = await page.evaluate(() =>
        window.client.login().catch((error: { code: string }) => error.code),
      )
      assert.equal(code, 'discovery_error')
      assert.equal(new URL(page.url()).origin, server.origin, 'the page navigated away')
      assert.deepEqual(await storedKeys(page), [])
      await context.close()
    }
    rogue.faults = {}
  })

  test('a token endpoint that never answers: token_error once 10 s pass on the page clock, nothing stored', async () => {
    const context = await newContext()
    await context.clock.install()
    const page = await newApp(context, iife)
    await ready(page)
    // Paused: page time moves only by the test's 10 s.
    await context.clock.pauseAt(Date.now() + 1000)
    const loginUrl = await page.evaluate(() => window.client.createLoginUrl())
    let reached!: () => void
    const asked = new Promise<void>((resolve) => (reached = resolve))
    // The token request is taken and never answered.
    rogue.faults = {
      hold: (path) => (path === '/token' ? (reached(), new Promise<void>(() => {})) : undefined),
    }
    try {
      const outcome = page.evaluate(
        (url) =>
          window.client.handleRedirectCallback(url).then(
            () => 'signedIn',
            (error: { code: string }) => error.code,
          ),
        rogue.callbackUrl(loginUrl),
      )
      await asked
      await context.clock.fastForward(10_000)
      assert.equal(await outcome, 'token_error')
    } finally {
      rogue.faults = {}
    }
    assert.equal(await page.evaluate(() => window.client.getState().status), 'signedOut')
    assert.ok(!(await storedKeys(page)).some((key) => key.endsWith(']session')))
    await context.close()
  })

  test('a callback URL replayed after a successful login is invalid_callback', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
    assert.equal((await ready(page)).ok, true)
    const replay = await newApp(context, rogue.callbacks.at(-1)!)
    const result: HarnessResult = await ready(replay)
    assert.equal(result.code, 'invalid_callback')
    await context.close()
  })
})

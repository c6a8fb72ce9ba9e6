// `npm run soak` (not part of npm test): 4 tabs signed in against oidc-provider with 10-second
// access tokens and rotating refresh tokens, reloading, refreshing and logging out and in at
// random. It must end with no refresh token spent twice, no stuck tab, every tab in the same
// state, and no listeners piling up. SOAK_SECONDS sets the length (default 300).
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { newLoopbackContext } from '../support/browser.js'
import { logIn, newApp, ready, startHarness, stopHarness } from '../browser/app.js'

const seconds = Number(process.env.SOAK_SECONDS ?? 300)
const harness = await startHarness({ accessTokenTtl: 10 })
const { browser, op, iife } = harness
const counts = { reloads: 0, tokenCalls: 0, logouts: 0, logins: 0, failures: 0 }
const random = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const status = (tab: Page) => tab.evaluate(() => window.client.getState().status)

/** Event listeners on document and window, read through the DevTools protocol. */
async function listenerCount(tab: Page): Promise<number> {
  const cdp = await tab.context().newCDPSession(tab)
  let total = 0
  for (const expression of ['document', 'window']) {
    const { result } = await cdp.send('Runtime.evaluate', { expression })
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', {
      objectId: result.objectId!,
    })
    total += listeners.length
  }
  await cdp.detach()
  return total
}

try {
  const context = await newLoopbackContext(browser)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), op.issuer)
  const tabs: Page[] = []
  for (let i = 0; i < 4; i++) {
    tabs.push(await newApp(context, iife))
    await ready(tabs[i])
  }
  assert.equal((await logIn(tabs[0])).ok, true)
  // tabs[3] is never reloaded: its listener count must not grow.
  const steady = tabs[3]
  await steady.waitForFunction(() => window.client.getState().status === 'signedIn')
  const listenersBefore = await listenerCount(steady)

  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    const action = random(['reload', 'token', 'token', 'token', 'relogin'])
    try {
      if (action === 'reload') {
        const tab = random(tabs.slice(0, 3))
        await tab.reload()
        await ready(tab)
        counts.reloads++
      } else if (action === 'token') {
        await Promise.all(
          tabs.map(async (tab) => {
            if ((await status(tab)) === 'signedIn')
              await tab.evaluate(() => window.client.getAccessToken())
          }),
        )
        counts.tokenCalls++
      } else {
        await random(tabs).evaluate(() => window.client.logout({ localOnly: true }))
        counts.logouts++
        const tab = random(tabs.slice(0, 3))
        if ((await status(tab)) !== 'signedOut')
          await tab.waitForFunction(() => window.client.getState().status === 'signedOut')
        assert.equal((await logIn(tab)).ok, true)
        counts.logins++
      }
    } catch (error) {
      counts.failures++
      console.error(`${action} failed:`, error instanceof Error ? error.message : error)
    }
    await pause(200 + Math.random() * 1500)
  }

  // Let the tabs settle, then compare them.
  await pause(2000)
  const states = await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(() => ({
        status: window.client.getState().status,
        sub: window.client.getState().claims?.sub,
      })),
    ),
  )
  const refused = op.responses.filter((response) => response === 'POST /token 400').length
  const grants = op.requests.filter((request) => request === 'POST /token').length
  const listenersAfter = await listenerCount(steady)
  const report = {
    seconds,
    ...counts,
    tokenRequests: grants,
    refusedTokenRequests: refused,
    listenersBefore,
    listenersAfter,
    states,
  }
  console.log(JSON.stringify(report, null, 2))
  assert.equal(refused, 0, 'no refresh token was presented twice')
  assert.equal(counts.failures, 0, 'no action failed')
  assert.ok(
    states.every((state) => state.status === states[0].status && state.sub === states[0].sub),
    'all tabs agree',
  )
  assert.ok(
    states.every((state) => state.status !== 'initializing'),
    'no tab is stuck',
  )
  assert.equal(listenersAfter, listenersBefore, 'no listener piled up')
  console.log('soak passed')
  await context.close()
} finally {
  await stopHarness(harness)
}

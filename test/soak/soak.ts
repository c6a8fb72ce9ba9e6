// `npm run soak` (not part of npm test): 4 tabs signed in against oidc-provider with 10-second
// access tokens and rotating refresh tokens, reloading, refreshing and logging out and in at
// random. It must end with no refresh token spent twice, no stuck tab, every tab in the same
// state, and no listeners or timers piling up. SOAK_SECONDS sets the length (default 300).
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

// Counts the page's pending timers: setTimeout, setInterval and their clear functions are
// wrapped before any page script runs. (A string, not a function: the test runner's transform
// would add helpers the page does not have.)
const countTimers = `{
  const pending = new Set()
  const { setTimeout: set, clearTimeout: clear, setInterval: repeat } = window
  window.setTimeout = (callback, ...rest) => {
    const id = set(
      (...args) => {
        pending.delete(id)
        if (typeof callback === 'function') callback(...args)
      },
      ...rest,
    )
    pending.add(id)
    return id
  }
  window.setInterval = (...args) => {
    const id = repeat(...args)
    pending.add(id)
    return id
  }
  // Timeouts and intervals share one id pool: either clear function clears either.
  window.clearTimeout = window.clearInterval = (id) => {
    pending.delete(id)
    clear(id)
  }
  window.pendingTimers = () => pending.size
}`

/**
 * Pending timers in the tab at rest: the fewest of a few samples, since with 10-second tokens a
 * storage call (which holds a timeout while it runs) may be under way at any one moment.
 */
async function restingTimers(tab: Page): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < 5; i++) {
    samples.push(await tab.evaluate(() => (window as any).pendingTimers()))
    await pause(300)
  }
  return Math.min(...samples)
}

try {
  const context = await newLoopbackContext(browser)
  await context.addInitScript((issuer) => (window.__testConfig = { issuer }), op.issuer)
  const tabs: Page[] = []
  for (let i = 0; i < 3; i++) {
    tabs.push(await newApp(context, iife))
    await ready(tabs[i])
  }
  // tabs[3] is never reloaded: its listener and timer counts must not grow.
  const steady = await context.newPage()
  await steady.addInitScript(countTimers)
  await steady.goto(iife)
  await ready(steady)
  tabs.push(steady)
  assert.equal((await logIn(tabs[0])).ok, true)
  await steady.waitForFunction(() => window.client.getState().status === 'signedIn')
  const listenersBefore = await listenerCount(steady)
  const timersBefore = await restingTimers(steady)
  let timersMost = timersBefore

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
    timersMost = Math.max(timersMost, await steady.evaluate(() => (window as any).pendingTimers()))
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
  const timersAfter = await restingTimers(steady)
  const report = {
    seconds,
    ...counts,
    tokenRequests: grants,
    refusedTokenRequests: refused,
    listenersBefore,
    listenersAfter,
    timersBefore,
    timersAfter,
    timersMost,
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
  assert.ok(timersAfter <= timersBefore, 'no timer piled up')
  console.log('soak passed')
  await context.close()
} finally {
  await stopHarness(harness)
}

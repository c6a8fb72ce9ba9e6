// A closed client does nothing more: it hears no tabs, runs no timers, refuses calls, and a flow
// still under way when it closed fires no event here, while the other tabs still learn what that
// flow changed in storage.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { answerRefreshes, invalidGrant } from '../support/rogue-provider.js'
import {
  gate,
  loginAs,
  openTab,
  refresh,
  rogueContext,
  seen,
  until,
  useRogueHarness,
} from './rogue-app.js'

const harness = useRogueHarness()

describe('close() (defect 14)', { timeout: 60_000 }, () => {
  test('a closed client hears no more tabs, runs no more timers, and refuses calls', async () => {
    const context = await rogueContext(harness)
    await context.clock.install()
    const page = await openTab(harness, context)
    await loginAs(page)
    await page.evaluate(async () => {
      const w = window as any
      w.second = window.makeClient({})
      await w.second.init()
      w.secondEvents = []
      for (const type of ['change', 'expiring', 'expired', 'refreshed', 'signedout'])
        w.second.addEventListener(type, () => w.secondEvents.push(type))
      w.second.close()
    })
    // Past the token's expiry: the open client's timers fire, the closed one's do not.
    const { expiresAt } = await page.evaluate(() => window.client.getState())
    await context.clock.runFor((expiresAt + 1) * 1000 - (await page.evaluate(() => Date.now())))
    await page.waitForFunction(() => window.events.some((event) => event.type === 'expiring'))
    const other = await openTab(harness, context)
    await other.evaluate(() => window.client.logout({ localOnly: true }))
    await page.waitForFunction(() => window.client.getState().status === 'signedOut')
    const after = await page.evaluate(async () => {
      const w = window as any
      // Each refuses with a rejected promise, never a throw past the caller's .catch().
      const calls: Record<string, string> = {}
      for (const name of [
        'getAccessToken',
        'fetch',
        'authorizationHeaders',
        'getUserInfo',
        'signInSilently',
        'handleRedirectCallback',
        'createLoginUrl',
        'logout',
      ]) {
        let call: Promise<unknown>
        try {
          call = name === 'authorizationHeaders' ? w.second[name]('GET', '/api') : w.second[name]()
        } catch {
          calls[name] = 'threw'
          continue
        }
        calls[name] = await call.then(
          () => 'served',
          (error: any) => error.code,
        )
      }
      return { status: w.second.getState().status, events: w.secondEvents, calls }
    })
    assert.deepEqual(after.status, 'signedIn')
    assert.deepEqual(after.events, [])
    for (const [name, outcome] of Object.entries(after.calls))
      assert.equal(outcome, 'invalid_config', name)
    await context.close()
  })

  test('a refresh under way when the client closes fires no event when it fails', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    harness.rogue.accessTokenTtl = 0
    await loginAs(page)
    harness.rogue.accessTokenTtl = 3600
    const answer = gate()
    harness.rogue.faults = {
      hold: (path) => (path === '/token' ? answer.hold() : undefined),
      ...answerRefreshes({ status: 503, contentType: 'text/plain', body: 'later' }),
    }
    try {
      const outcome = refresh(page)
      await until(() => answer.waiting() > 0, 'the refresh is held')
      await page.evaluate(() => {
        const w = window as any
        w.closedEvents = []
        for (const type of ['error', 'change'])
          window.client.addEventListener(type, () => w.closedEvents.push(type))
        window.client.close()
      })
      answer.open()
      // A transient failure: reported as an error event by an open client.
      assert.equal(await outcome, 'token_error')
      assert.deepEqual(await page.evaluate(() => (window as any).closedEvents), [])
    } finally {
      harness.rogue.faults = {}
    }
    await context.close()
  })

  test('a refresh under way when the client closes and is refused: the other tabs still end, with the reason', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    // Tokens that come already expired: no tab renews them by itself, only when asked.
    harness.rogue.accessTokenTtl = 0
    await loginAs(page)
    harness.rogue.accessTokenTtl = 3600
    const other = await openTab(harness, context)
    assert.equal(await other.evaluate(() => window.client.getState().status), 'signedIn')
    const answer = gate()
    harness.rogue.faults = {
      hold: (path) => (path === '/token' ? answer.hold() : undefined),
      ...answerRefreshes(invalidGrant),
    }
    try {
      const outcome = refresh(page)
      await until(() => answer.waiting() > 0, 'the refresh is held')
      await page.evaluate(() => {
        const w = window as any
        w.heard = []
        window.client.subscribe((state: { status: string }) => w.heard.push(state.status))
        window.client.close()
      })
      answer.open()
      assert.equal(await outcome, 'login_required')
      await other.waitForFunction(() => window.client.getState().status === 'signedOut', null, {
        timeout: 5000,
      })
      assert.equal((await seen(other)).error, 'login_required')
      assert.deepEqual(await page.evaluate(() => (window as any).heard), [], 'no subscriber called')
    } finally {
      harness.rogue.faults = {}
    }
    await context.close()
  })
})

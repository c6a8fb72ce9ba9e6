// A logout or another login that lands while a tab restores or refreshes the session: from a
// subscriber of the signedin notification, or from another tab during the refresh.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { TestProvider } from '../support/provider.js'
import {
  logIn,
  makeTokensExpiring,
  newApp,
  ready,
  signedInTabs,
  startHarness,
  stopHarness,
  storedKeys,
  type Harness,
} from './app.js'
import {
  accessTokenTtl,
  countAsyncWork,
  eventTypes,
  harnessHelpers,
  holdRefresh,
  quiet,
  workCounts,
  readRecord,
  status,
  waitForStatus,
} from './tabs-support.js'

let harness: Harness
let op: TestProvider
let iife: string

before(async () => ({ op, iife } = harness = await startHarness({ accessTokenTtl })))
after(() => stopHarness(harness))

const { sessionKey, settled, newContext } = harnessHelpers(() => harness)

describe('a subscriber that logs out during the signedin notification', { timeout: 60_000 }, () => {
  test('logout({ localOnly: true }): the other listeners still run, the state ends signedOut, nothing escapes, no loop', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    const other = await newApp(context, iife)
    assert.equal((await ready(other)).state?.status, 'signedIn')
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // A second client on the page restores the stored session: its signedin notification is
    // where the first subscriber logs out.
    await page.evaluate(async () => {
      const client = window.makeClient({})
      const seen: string[] = []
      client.subscribe((state: { status: string }) => {
        seen.push(`first:${state.status}`)
        if (state.status === 'signedIn')
          Object.assign(window, { loggingOut: client.logout({ localOnly: true }) })
      })
      client.subscribe((state: { status: string }) => seen.push(`second:${state.status}`))
      for (const type of ['signedin', 'signedout'])
        client.addEventListener(type, () => seen.push(`event:${type}`))
      Object.assign(window, { seen, second: client })
      await client.init()
    })
    // Both of its flows are over: a loop would have shown in them.
    await page.evaluate(() => (window as any).loggingOut)
    const seen = await page.evaluate(() => (window as any).seen)
    assert.deepEqual(seen, [
      'first:signedIn',
      'second:signedIn',
      'event:signedin',
      'first:signedOut',
      'second:signedOut',
      'event:signedout',
    ])
    assert.deepEqual(pageErrors, [])
    // The restore that was under way did not bring the tokens back after the logout.
    assert.equal(
      await page.evaluate(() =>
        (window as any).second.getAccessToken().catch((error: any) => error.code),
      ),
      'login_required',
    )
    // The logout reached the page's own client and the other tab.
    await waitForStatus([page, other], 'signedOut')
    assert.ok(!(await storedKeys(page)).includes(sessionKey()))
    await context.close()
  })

  test('a logout during the notification of a refresh: the refreshed tokens are not stored, every tab ends signedOut', async () => {
    const { context, tabs } = await signedInTabs(harness, 2)
    await tabs[0].evaluate(() =>
      window.client.subscribe((state: { status: string }) => {
        if (state.status === 'signedIn') void window.client.logout({ localOnly: true })
      }),
    )
    await makeTokensExpiring(context, tabs[0])
    await tabs[0].evaluate(() => window.client.getAccessToken())
    await waitForStatus(tabs, 'signedOut')
    await settled(tabs[0])
    assert.ok(!(await storedKeys(tabs[0])).includes(sessionKey()), 'no session in storage')
    assert.equal(await status(tabs[1]), 'signedOut')
    const fresh = await newApp(context, iife)
    assert.equal((await ready(fresh)).state?.status, 'signedOut')
    await context.close()
  })

  test('logout(): the same, then the page goes to the provider to end its session', async () => {
    const context = await newContext()
    const page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    // What the listeners see must survive the navigation: they report it to the test directly.
    const seen: string[] = []
    await page.exposeFunction('report', (entry: string) => void seen.push(entry))
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${op.issuer}/session/end`)),
      page.evaluate(() => {
        const report = (window as any).report as (entry: string) => void
        const client = window.makeClient({})
        client.subscribe((state: { status: string }) => {
          report(`first:${state.status}`)
          if (state.status === 'signedIn') void client.logout()
        })
        client.subscribe((state: { status: string }) => report(`second:${state.status}`))
        void client.init()
      }),
    ])
    assert.deepEqual(seen, [
      'first:signedIn',
      'second:signedIn',
      'first:signedOut',
      'second:signedOut',
    ])
    assert.deepEqual(pageErrors, [])
    const fresh = await newApp(context, iife)
    assert.equal((await ready(fresh)).state?.status, 'signedOut')
    await context.close()
  })
})

describe(
  'another tab ends or replaces the session while this tab refreshes',
  { timeout: 60_000 },
  () => {
    test('a logout in the other tab: the refreshed tokens are not stored and no tab is signed in again', async () => {
      const { context, tabs } = await signedInTabs(harness, 2, countAsyncWork)
      const counted = await workCounts(tabs)
      await makeTokensExpiring(context, tabs[0])
      const held = holdRefresh(op)
      try {
        const refreshing = tabs[0].evaluate(() =>
          window.client.getAccessToken().then(
            () => 'signedIn',
            (error: any) => error.code,
          ),
        )
        await held.arrived
        await tabs[1].evaluate(() => window.client.logout({ localOnly: true }))
        await waitForStatus(tabs, 'signedOut')
        held.release()
        assert.equal(await refreshing, 'login_required')
      } finally {
        delete op.rewriteTokenResponse
      }
      await settled(tabs[0])
      assert.ok(!(await storedKeys(tabs[0])).includes(sessionKey()), 'no session in storage')
      // A `refreshed` message, had one been sent, has reached the other tab and been acted on.
      await quiet(tabs, counted)
      for (const tab of tabs) assert.equal(await status(tab), 'signedOut')
      // Not even for a moment: its one sign-in is its restore.
      const signIns = (await eventTypes(tabs[1])).filter((type) => type === 'signedin')
      assert.equal(signIns.length, 1)
      const fresh = await newApp(context, iife)
      assert.equal((await ready(fresh)).state?.status, 'signedOut')
      await context.close()
    })

    test('a new login in the other tab: this tab takes its session, and the refreshed tokens are not stored', async () => {
      const { context, tabs } = await signedInTabs(harness, 2)
      await makeTokensExpiring(context, tabs[0])
      const held = holdRefresh(op)
      let refreshed: string
      try {
        const refreshing = tabs[0].evaluate(() => window.client.getAccessToken())
        await held.arrived
        assert.equal(
          (await logIn(tabs[1], { login: 'bob', prompt: 'login' })).state?.status,
          'signedIn',
        )
        held.release()
        refreshed = await refreshing
      } finally {
        delete op.rewriteTokenResponse
      }
      await settled(tabs[0])
      const stored = await readRecord(tabs[1], sessionKey())
      assert.equal(refreshed, stored.accessToken, "this tab's token is the new login's")
      for (const tab of tabs)
        assert.equal(await tab.evaluate(() => window.client.getState().claims?.sub), 'bob')
      await context.close()
    })

    test("a logout while a third tab verifies the other tab's refreshed session: that tab stays signed out", async () => {
      const { context, tabs } = await signedInTabs(harness, 3, countAsyncWork)
      const counted = await workCounts(tabs)
      const [refresher, leaver, watcher] = tabs
      // The watcher's WebCrypto answers only when the test says so: its takeover of the
      // refreshed session is still verifying when the logout arrives.
      await watcher.evaluate(() => {
        const verify = crypto.subtle.verify.bind(crypto.subtle)
        const gate = new Promise((resolve) => Object.assign(window, { openGate: resolve }))
        crypto.subtle.verify = async (...args: Parameters<SubtleCrypto['verify']>) => {
          Object.assign(window, { verifying: true })
          await gate
          return verify(...args)
        }
      })
      await makeTokensExpiring(context, refresher)
      await refresher.evaluate(() => window.client.getAccessToken())
      await watcher.waitForFunction(() => (window as any).verifying === true)
      await leaver.evaluate(() => window.client.logout({ localOnly: true }))
      await waitForStatus(tabs, 'signedOut')
      await watcher.evaluate(() => (window as any).openGate())
      // The takeover has finished: it would have signed the tab in again by now.
      await quiet(tabs, counted)
      assert.equal(await status(watcher), 'signedOut')
      assert.equal(
        await watcher.evaluate(() =>
          window.client.getAccessToken().catch((error: any) => error.code),
        ),
        'login_required',
      )
      await context.close()
    })
  },
)

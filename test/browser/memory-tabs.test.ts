// persist: 'memory' tabs beside IndexedDB ones: another tab's ending leaves them alone, and a
// logout in either kind reaches every tab, also through the mark a memory tab leaves. And another
// user's login, followed by an open tab, is a sign-in there.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { answerRefreshes, invalidGrant } from '../support/rogue-provider.js'
import { recordKey } from './app.js'
import {
  loginAs,
  openTab,
  refresh,
  rogueContext,
  seen,
  useRogueHarness,
  storedSession,
} from './rogue-app.js'

const harness = useRogueHarness()

describe("persist: 'memory' tabs (defect 9)", { timeout: 60_000 }, () => {
  test("another tab's refused refresh leaves them alone; a logout reaches them", async () => {
    const context = await rogueContext(harness)
    const memory = { persist: 'memory' }
    const [a, b] = [
      await openTab(harness, context, memory),
      await openTab(harness, context, memory),
    ]
    await loginAs(a, 'alice')
    await loginAs(b, 'bob')
    harness.rogue.accessTokenTtl = 0
    await loginAs(a, 'alice')
    harness.rogue.faults = answerRefreshes(invalidGrant)
    try {
      assert.equal(await refresh(a), 'login_required')
    } finally {
      harness.rogue.faults = {}
      harness.rogue.accessTokenTtl = 3600
    }
    const token = (await seen(b)).token
    assert.deepEqual(await seen(b), { status: 'signedIn', sub: 'bob', error: null, token })
    await a.evaluate(() => window.client.logout({ localOnly: true }))
    await b.waitForFunction(() => window.client.getState().status === 'signedOut')
    assert.equal((await seen(b)).token, 'error:login_required')
    await context.close()
  })

  test('their logout ends the stored session too: in open IndexedDB tabs and in those opened later', async () => {
    const context = await rogueContext(harness)
    const { issuer } = harness.rogue
    const memory = await openTab(harness, context, { persist: 'memory' })
    // Stored by a tab that is closed when the memory tab logs out, logs in again, and out again.
    const closed = await openTab(harness, context)
    await loginAs(closed, 'alice')
    await closed.close()
    await loginAs(memory, 'bob')
    await memory.evaluate(() => window.client.logout({ localOnly: true }))
    await loginAs(memory, 'bob')
    const later = await openTab(harness, context)
    assert.equal((await seen(later)).status, 'signedOut')
    assert.equal(await storedSession(later, issuer), undefined)
    assert.equal((await seen(memory)).sub, 'bob')
    // An IndexedDB tab open at the logout.
    await loginAs(later, 'alice')
    await memory.evaluate(() => window.client.logout({ localOnly: true }))
    await later.waitForFunction(() => window.client.getState().status === 'signedOut')
    assert.equal(await storedSession(later, issuer), undefined)
    await context.close()
  })

  test('the logout mark alone reaches open tabs, whichever of it and its message comes first', async () => {
    const context = await rogueContext(harness)
    const { issuer } = harness.rogue
    const marking = await openTab(harness, context)
    await loginAs(marking, 'alice')
    const open = await openTab(harness, context)
    assert.equal((await seen(open)).status, 'signedIn')
    // Set as a logout sets it, with no message: the other tab learns of it from storage.
    await marking.evaluate(
      (key) => localStorage.setItem(key, String(Date.now())),
      `oidc-browser${recordKey(issuer, 'logout')}`,
    )
    await open.waitForFunction(() => window.client.getState().status === 'signedOut')
    assert.equal(await storedSession(open, issuer), undefined)
    await context.close()
  })
})

describe("another user's login in another tab", { timeout: 60_000 }, () => {
  test('is a signedin in the tab that follows it, not a refreshed', async () => {
    const context = await rogueContext(harness)
    const [a, b] = [await openTab(harness, context), await openTab(harness, context)]
    await loginAs(a, 'alice')
    await b.waitForFunction(() => window.client.getState().claims?.sub === 'alice')
    const before = await b.evaluate(() => window.events.length)
    await loginAs(a, 'bob')
    await b.waitForFunction(() => window.client.getState().claims?.sub === 'bob')
    const types = await b.evaluate((n) => window.events.slice(n).map((e) => e.type), before)
    assert.deepEqual(types, ['signedin', 'change'])
    await context.close()
  })
})

// Tabs and clients that must stay apart, or in step: two clients whose names could collide, the
// reasons a session ended, and pages back from the back-forward cache.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  answerRefreshes,
  startRogueProvider,
  type RogueProvider,
} from '../support/rogue-provider.js'
import { editRecord, recordKey, storedRecords } from './app.js'
import {
  gate,
  loginAs,
  openTab,
  refresh,
  rogueContext,
  seen,
  until,
  useRogueHarness,
  storedSession,
} from './rogue-app.js'

const harness = useRogueHarness({}, { ignoreDefaultArgs: ['--disable-back-forward-cache'] })

describe(
  'two clients whose issuer and client id share a joined name (defect 10)',
  { timeout: 60_000 },
  () => {
    let other: RogueProvider
    before(async () => (other = await startRogueProvider({ path: '/r' })))
    after(() => other.close())

    test("keep their own records: the second one's init() leaves the first one's session", async () => {
      const context = await rogueContext(harness)
      const first = { issuer: other.issuer, clientId: 'a|b' }
      const page = await openTab(harness, context, first)
      await loginAs(page)
      // Joined with "|", ".../r" + "a|b" and ".../r|a" + "b" would name the same record.
      const status = await page.evaluate(async (issuer) => {
        const second = window.makeClient({
          issuer,
          clientId: 'b',
          metadata: {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
          },
        })
        const state = await second.init()
        second.close()
        return state.status
      }, `${other.issuer}|a`)
      assert.equal(status, 'signedOut')
      const session = (await storedRecords(page))[recordKey(other.issuer, 'session', 'a|b')]
      assert.ok(session, "the first client's session is still stored")
      await page.reload()
      assert.equal((await seen(page)).sub, 'alice')
      await context.close()
    })
  },
)

describe('why a session ended reaches every tab (defect 12)', { timeout: 60_000 }, () => {
  test('a refreshed ID token for another user: every tab shows id_token_invalid/sub, and a later plain logout elsewhere keeps it', async () => {
    const context = await rogueContext(harness)
    const a = await openTab(harness, context)
    harness.rogue.accessTokenTtl = 0
    await loginAs(a)
    const b = await openTab(harness, context)
    harness.rogue.faults = {
      idToken: ({ header, payload }, grantType) => ({
        header,
        payload: grantType === 'refresh_token' ? { ...payload, sub: 'mallory' } : payload,
      }),
    }
    try {
      assert.equal(await refresh(a), 'id_token_invalid')
    } finally {
      harness.rogue.faults = {}
      harness.rogue.accessTokenTtl = 3600
    }
    await b.waitForFunction(() => window.client.getState().status === 'signedOut')
    assert.equal((await seen(b)).error, 'id_token_invalid/sub')
    const c = await openTab(harness, context)
    await c.evaluate(() => window.client.logout({ localOnly: true }))
    await b.evaluate(() => window.client.init())
    assert.equal((await seen(b)).error, 'id_token_invalid/sub', 'the reason stays')
    await context.close()
  })

  test("a takeover of another tab's session that fails a check ends with its reason", async () => {
    const context = await rogueContext(harness)
    const a = await openTab(harness, context)
    await loginAs(a)
    const b = await openTab(harness, context)
    const key = recordKey(harness.rogue.issuer, 'session')
    await editRecord(
      a,
      key,
      `const [h, p, s] = record.idToken.split('.')
       const claims = JSON.parse(atob(p.replace(/-/g, '+').replace(/_/g, '/')))
       const forged = btoa(JSON.stringify({ ...claims, sub: 'mallory' })).replace(/=+$/, '')
       return { ...record, id: 'forged', idToken: [h, forged, s].join('.') }`,
    )
    await a.evaluate(
      (name) => new BroadcastChannel(name).postMessage({ type: 'changed' }),
      `oidc-browser${JSON.stringify([harness.rogue.issuer, 'spa'])}`,
    )
    await b.waitForFunction(() => window.client.getState().status === 'signedOut')
    assert.equal((await seen(b)).error, 'id_token_invalid/signature')
    assert.equal(
      await storedSession(b, harness.rogue.issuer),
      undefined,
      'the forged record is deleted',
    )
    await context.close()
  })
})

describe('a page back from the back-forward cache (defect 14)', { timeout: 60_000 }, () => {
  test('reads the stored session again before it trusts its memory', async () => {
    const context = await rogueContext(harness)
    await context.addInitScript(() => {
      ;(window as any).__restored = false
      addEventListener('pageshow', (event) => ((window as any).__restored ||= event.persisted))
    })
    const page = await openTab(harness, context)
    await loginAs(page)
    // A page that fetched a no-store answer (the token endpoint's) is never cached: the page to
    // cache is one that restored its session, with no request.
    await page.reload()
    assert.equal((await seen(page)).status, 'signedIn')
    // The app asks for a token the moment the page shows again (after the client's own listener).
    await page.evaluate(() =>
      addEventListener('pageshow', (event) => {
        if (event.persisted)
          (window as any).__tokenAtShow = window.client.getAccessToken().then(
            () => 'served',
            (error: any) => error.code,
          )
      }),
    )
    await page.goto(`${harness.server.origin}/pages/elsewhere.html`)
    // The session ends without a message to the cached page (Chromium evicts a cached page
    // that a BroadcastChannel message reaches): its record is deleted from another page.
    const other = await context.newPage()
    await other.goto(`${harness.server.origin}/pages/elsewhere.html`)
    await editRecord(other, recordKey(harness.rogue.issuer, 'session'), 'return undefined')
    // Restored from the cache, the page fires pageshow, not load.
    await page.goBack({ waitUntil: 'commit' })
    await page.waitForFunction(() => (window as any).__restored, undefined, { timeout: 5000 })
    assert.equal(await page.evaluate(() => (window as any).__tokenAtShow), 'login_required')
    await page.waitForFunction(() => window.client.getState().status === 'signedOut')
    // (seen() waits for a load event, which a page restored from the cache does not fire.)
    assert.equal(await refresh(page), 'login_required')
    await context.close()
  })
})

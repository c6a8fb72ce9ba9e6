// Storage that is full or holds what this version did not write: a login or refresh over the
// quota, and stored records of another version or shape.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import type { TestProvider } from '../support/provider.js'
import {
  editRecord,
  logIn,
  makeTokensExpiring,
  newApp,
  ready,
  startHarness,
  stopHarness,
  storedKeys,
  type Harness,
  recordKey,
} from './app.js'
import { accessTokenTtl, eventTypes, harnessHelpers, readRecord, status } from './tabs-support.js'

let harness: Harness
let op: TestProvider
let iife: string

before(async () => ({ op, iife } = harness = await startHarness({ accessTokenTtl })))
after(() => stopHarness(harness))

const { grants, sessionKey, newContext } = harnessHelpers(() => harness)

// Room for the app's records, and little more: another database of the origin fills the rest.
const smallQuota = 2_000_000

/**
 * The app in a new context whose origin has a small storage quota (DevTools protocol). Chromium
 * honours the override only when it comes before the origin first touches storage in the
 * context, and only while the DevTools session that sent it stays attached: sent later, or from
 * a session since detached, it has no effect. `navigator.storage.estimate()` does not show it,
 * but writes obey it.
 */
async function appWithSmallQuota(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext()
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: harness.app.origin,
    quotaSize: smallQuota,
  })
  await page.goto(iife)
  return { context, page }
}

/** Fills the origin's quota with another database, as another part of the app would. */
async function fillStorage(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('filler')
      open.onupgradeneeded = () => open.result.createObjectStore('blobs')
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    // Chunks of falling size, each until one is refused, so that hardly any room is left.
    let outcome = ''
    let writes = 0
    for (let size = 100_000; size >= 16 && writes < 300; size = Math.floor(size / 4)) {
      for (let refused = false; !refused && writes < 300; writes++) {
        const chunk = new Uint8Array(size)
        for (let at = 0; at < size; at += 65_536)
          crypto.getRandomValues(chunk.subarray(at, at + 65_536))
        const error = await new Promise<string>((resolve) => {
          const tx = db.transaction('blobs', 'readwrite')
          tx.objectStore('blobs').put(chunk, writes)
          tx.oncomplete = () => resolve('')
          tx.onabort = () => resolve(tx.error?.name ?? 'aborted')
        })
        if (error) [outcome, refused] = [error, true]
      }
    }
    db.close()
    return outcome
  })
}

function freeStorage(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase('filler')
        request.onsuccess = () => resolve()
        request.onerror = () => reject(request.error)
      }),
  )
}

describe('when IndexedDB is over its quota', { timeout: 60_000 }, () => {
  test('login throws storage_error before navigating, and leaves no transaction', async () => {
    const { context, page } = await appWithSmallQuota()
    assert.equal((await ready(page)).state?.status, 'signedOut')
    assert.equal(await fillStorage(page), 'QuotaExceededError')
    const outcome = await page.evaluate(() =>
      window.client.login().then(
        () => 'navigated',
        (error: any) => ({ code: error.code, isOidcError: window.lib.isOidcError(error) }),
      ),
    )
    assert.deepEqual(outcome, { code: 'storage_error', isOidcError: true })
    assert.equal(page.url(), iife, 'still on the app')
    assert.ok(!(await storedKeys(page)).some((key) => key.includes(']tx:')), 'no transaction')
    // The same login goes through once there is room again: it was the quota.
    await freeStorage(page)
    assert.equal((await logIn(page)).ok, true)
    await context.close()
  })

  test('a refreshed session that cannot be stored stays in memory; the spent refresh token leaves storage', async () => {
    const { context, page: tab } = await appWithSmallQuota()
    await context.clock.install()
    await ready(tab)
    assert.equal((await logIn(tab)).ok, true)
    await context.clock.pauseAt(Date.now() + 1000)
    const stored = await readRecord(tab, sessionKey())
    assert.equal(typeof stored.refreshToken, 'string')
    await makeTokensExpiring(context, tab)
    assert.equal(await fillStorage(tab), 'QuotaExceededError')
    const before = grants()
    const token = await tab.evaluate(() => window.client.getAccessToken())
    assert.equal(grants() - before, 1)
    assert.notEqual(token, stored.accessToken)
    assert.equal(await status(tab), 'signedIn')
    assert.ok(
      (await tab.evaluate(() => window.events)).some(
        (event) => event.type === 'error' && event.code === 'storage_error',
      ),
      'the failed write is reported as an error event',
    )
    assert.ok(!(await storedKeys(tab)).includes(sessionKey()), 'the spent refresh token is gone')
    // This tab holds the new tokens in memory: no second request.
    assert.equal(await tab.evaluate(() => window.client.getAccessToken()), token)
    assert.equal(grants() - before, 1)
    // With room again, the session held in memory refreshes with its unspent refresh token and
    // is stored again.
    await freeStorage(tab)
    await makeTokensExpiring(context, tab)
    const next = await tab.evaluate(() => window.client.getAccessToken())
    assert.notEqual(next, token)
    assert.equal((await readRecord(tab, sessionKey()))?.accessToken, next)
    assert.equal(await status(tab), 'signedIn')
    await context.close()
  })
})

describe('stored records of another version or shape', { timeout: 60_000 }, () => {
  let context: BrowserContext
  let page: Page
  before(async () => {
    context = await newContext()
    page = await newApp(context, iife)
    await ready(page)
    assert.equal((await logIn(page)).ok, true)
  })
  after(() => context.close())

  test('a session record of version 1, of no version, or of a later version 3 is deleted on init', async () => {
    const original = await readRecord(page, sessionKey())
    assert.equal(original.v, 2)
    const { v: _, ...unversioned } = original
    for (const [name, record] of [
      ['v: 1', { ...original, v: 1 }],
      ['no v', unversioned],
      ['v: 3', { ...original, v: 3 }],
    ]) {
      await editRecord(page, sessionKey(), `return ${JSON.stringify(record)}`)
      await page.reload()
      const result = await ready(page)
      assert.equal(result.state?.status, 'signedOut', name)
      assert.equal(result.state?.error, undefined, name)
      assert.ok(!(await storedKeys(page)).includes(sessionKey()), `${name}: record deleted`)
      assert.ok(!(await eventTypes(page)).includes('signedin'), name)
    }
    // The same record as version 2 restores: the version alone made the difference.
    await editRecord(page, sessionKey(), `return ${JSON.stringify(original)}`)
    await page.reload()
    assert.equal((await ready(page)).state?.status, 'signedIn')
  })

  test('cached discovery and JWKS records of a wrong shape are fetched again', async () => {
    const variants: [string, string][] = [
      ['discovery', 'return null'],
      ['discovery', "return { fetchedAt: 'now', value: record.value }"],
      [
        'discovery',
        'return { fetchedAt: record.fetchedAt, value: { issuer: record.value.issuer } }',
      ],
      [
        'discovery',
        'return { fetchedAt: record.fetchedAt, value: { ...record.value, token_endpoint: 42 } }',
      ],
      ['jwks', "return 'keys'"],
      ['jwks', 'return { fetchedAt: record.fetchedAt, value: { keys: record.value } }'],
      ['jwks', 'return { fetchedAt: record.fetchedAt }'],
    ]
    for (const [name, edit] of variants) {
      const key = recordKey(op.issuer, name)
      const good = await readRecord(page, key)
      await editRecord(page, key, edit)
      op.requests.length = 0
      await page.reload()
      const result = await ready(page)
      assert.equal(result.state?.status, 'signedIn', `${name}: ${edit}`)
      const fetched = name === 'discovery' ? 'GET /.well-known/openid-configuration' : 'GET /jwks'
      assert.ok(op.requests.includes(fetched), `${name}: ${edit}: fetched again`)
      assert.deepEqual((await readRecord(page, key)).value, good.value, 'and cached again')
    }
  })

  test('a login transaction of a wrong shape is invalid_callback, deleted, and no code is exchanged', async () => {
    for (const edit of [
      'return { ...record, nonce: 42 }',
      'return { ...record, codeVerifier: undefined }',
      'return { ...record, createdAt: String(record.createdAt) }',
      "return { ...record, returnTo: ['/'] }",
      "return 'transaction'",
    ]) {
      const state = new URL(
        await page.evaluate(() => window.client.createLoginUrl()),
      ).searchParams.get('state')
      const key = recordKey(op.issuer, `tx:${state}`)
      await editRecord(page, key, edit)
      op.requests.length = 0
      await page.goto(`${iife}?code=abc&state=${state}&iss=${encodeURIComponent(op.issuer)}`)
      const result = await ready(page)
      assert.equal(result.code, 'invalid_callback', edit)
      assert.ok(!op.requests.includes('POST /token'), `${edit}: no token request`)
      assert.ok(!(await storedKeys(page)).includes(key), `${edit}: transaction deleted`)
    }
  })
})

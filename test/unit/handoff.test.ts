import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FlowContext } from '../../src/context.js'
import { OidcError } from '../../src/errors.js'
import { validateConfig } from '../../src/config.js'
import { awaitAnswer, isHandoffUrl, redeemAtRedirectUri } from '../../src/handoff.js'
import { popupSession } from '../../src/popup.js'
import { createMemoryVault } from '../../src/vault.js'
import { rejectsWith } from './helpers.js'

test('isHandoffUrl reads the decoded state: a popup or silent mark, percent-encoded or not', () => {
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc.p'), true)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc%2Es'), true)
  assert.equal(isHandoffUrl('https://app.example/cb?state=abc.p&code=c#x'), true)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc'), false)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc.pp'), false)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&other=x.p'), false)
  assert.equal(isHandoffUrl('not a url'), false)
})

test('a hand-off URL whose login storage cannot be read: storage_error, the address bar cleared, nothing redeemed', async () => {
  const url = 'https://app.example/cb?code=c&state=abc.p'
  const shown: string[] = []
  const replaceState = (_state: unknown, _title: string, to: string) => shown.push(to)
  Object.assign(globalThis, { location: { href: url }, history: { state: null, replaceState } })
  try {
    const refused = () => Promise.reject(new OidcError('storage_error', 'refused'))
    const taken: string[] = []
    const ctx = {
      config: { redirectUri: 'https://app.example/cb' },
      // Storage that recovers at once: the transaction is there for a take.
      transactions: { get: refused, del: async (name: string) => void taken.push(name) },
      provider: { preload: () => {} },
      now: () => 0,
    } as unknown as FlowContext
    await rejectsWith(redeemAtRedirectUri(ctx, url), 'storage_error')
    assert.deepEqual(shown, ['https://app.example/cb'], 'the code left the address bar')
    assert.deepEqual(taken, [], "the opening tab's login is not redeemed here")
  } finally {
    delete (globalThis as { location?: unknown }).location
    delete (globalThis as { history?: unknown }).history
  }
})

// (With a short timeout: should the client's closing be missed, the test fails, not hangs.)
test(
  'a closed client stops waiting for an answer, and releases its channel and timers',
  { timeout: 5000 },
  async () => {
    const pending = () =>
      process.getActiveResourcesInfo().filter((name) => name !== 'FSReqCallback')
    const before = pending()
    const closing = new AbortController()
    const ctx = {
      name: 'oidc-browser-test',
      config: { redirectUri: 'https://app.example/cb' },
      closed: closing.signal,
    } as unknown as FlowContext
    const timeout = () => new OidcError('popup_timeout', 'no answer')
    const waiting = awaitAnswer(ctx, 'abc.p', 20, timeout, () => undefined)
    assert.notDeepEqual(pending(), before, 'a channel and timers while it waits')
    closing.abort()
    await rejectsWith(waiting, 'invalid_config')
    assert.deepEqual(pending(), before, 'none left once closed')
    // A flow that reaches the wait after close() does not wait at all.
    await rejectsWith(awaitAnswer(ctx, 'def.s', 20, timeout), 'invalid_config')
    assert.deepEqual(pending(), before)
  },
)

// The second repeats a parameter: the tab that redeems it says so (see below).
for (const url of [
  'https://app.example/cb?code=c&state=abc.p',
  'https://app.example/cb?code=c&code=d&state=abc.p',
])
  test(
    `a pending popup's answer goes back to its tab, and the popup's address bar keeps it: ${url}`,
    { timeout: 5000 },
    async () => {
      const shown: string[] = []
      let closed = false
      // (Node's BroadcastChannel gives its messages the origin '': the page's, here.)
      Object.assign(globalThis, {
        location: { href: url, origin: '' },
        history: {
          state: null,
          replaceState: (_s: unknown, _t: string, to: string) => shown.push(to),
        },
        window: { opener: {}, close: () => (closed = true) },
      })
      const ctx = {
        name: 'oidc-browser-test',
        config: { redirectUri: 'https://app.example/cb' },
        transactions: { get: async () => ({ nonce: 'n', codeVerifier: 'v', createdAt: 0 }) },
        now: () => 0,
        closed: new AbortController().signal,
      } as unknown as FlowContext
      try {
        const waiting = awaitAnswer(ctx, 'abc.p', 4, () => new OidcError('popup_timeout', 'none'))
        let settled = false
        void redeemAtRedirectUri(ctx, url).finally(() => (settled = true))
        assert.deepEqual(await waiting, { url, severed: false })
        while (!closed) await new Promise((resolve) => setImmediate(resolve))
        assert.deepEqual(shown, [], 'isCallback() stays true in the popup until it closes')
        assert.equal(settled, false, "the app's code after the callback does not run there")
      } finally {
        for (const name of ['location', 'history', 'window']) delete (globalThis as any)[name]
      }
    },
  )

test(
  'a popup answer that repeats a parameter goes back too, and fails there at once: invalid_callback, its login dropped',
  { timeout: 5000 },
  async () => {
    const redirectUri = 'https://app.example/cb'
    Object.assign(globalThis, { location: { origin: '' } })
    const transactions = { ...createMemoryVault(), sweep: async () => {} }
    const ctx = {
      name: 'oidc-browser-test',
      config: validateConfig({ issuer: 'https://id.example', clientId: 'spa', redirectUri }),
      provider: { metadata: async () => ({ authorization_endpoint: 'https://id.example/auth' }) },
      transactions,
      now: () => 1_800_000_000,
      closed: new AbortController().signal,
    } as unknown as FlowContext
    const popup = { location: { href: 'about:blank' }, closed: false, close: () => {} }
    try {
      const answer = popupSession(ctx, popup as unknown as Window)
      while (popup.location.href === 'about:blank') await new Promise(setImmediate)
      const state = new URL(popup.location.href).searchParams.get('state')!
      // The page in the popup, as handBack posts (the stored transaction decided it is one).
      const channel = new BroadcastChannel(ctx.name + state)
      channel.postMessage({ url: `${redirectUri}?code=a&code=b&state=${state}`, severed: false })
      channel.close()
      await rejectsWith(answer, 'invalid_callback')
      assert.equal(await transactions.get(`tx:${state}`), undefined, 'the login is dropped')
    } finally {
      delete (globalThis as { location?: unknown }).location
    }
  },
)

test('a popup whose tab never takes the answer (closed, or gave up) closes after 10 s', async (t) => {
  const url = 'https://app.example/cb?code=c&state=abc.p'
  let closed = false
  Object.assign(globalThis, {
    location: { href: url, origin: '' },
    history: { state: null, replaceState: () => {} },
    window: { opener: null, close: () => (closed = true) },
  })
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let posted = false
  const listener = new BroadcastChannel('oidc-browser-test-lonelyabc.p')
  listener.onmessage = () => void (posted = true)
  const ctx = {
    name: 'oidc-browser-test-lonely',
    config: { redirectUri: 'https://app.example/cb' },
    transactions: { get: async () => ({ nonce: 'n', codeVerifier: 'v', createdAt: 0 }) },
    now: () => 0,
  } as unknown as FlowContext
  try {
    void redeemAtRedirectUri(ctx, url)
    while (!posted) await new Promise((resolve) => setImmediate(resolve))
    t.mock.timers.tick(9_999)
    assert.equal(closed, false, 'it waits for its tab')
    t.mock.timers.tick(1)
    assert.equal(closed, true)
  } finally {
    listener.close()
    for (const name of ['location', 'history', 'window']) delete (globalThis as any)[name]
  }
})

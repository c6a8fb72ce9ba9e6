import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAuthState } from '../../src/auth-state.js'
import { validateConfig } from '../../src/config.js'
import { createFlowContext } from '../../src/context.js'
import { validateStoredIdToken } from '../../src/id-token.js'
import { logoutSession } from '../../src/logout.js'
import { createSession } from '../../src/session.js'
import { followTab } from '../../src/sync.js'
import type { TabMessage } from '../../src/tabs.js'
import { makeKey, mapStorage, rejectsWith, resolverOf, sign } from './helpers.js'

const issuer = 'https://id.example.com'
const any = { generation: 'any', record: 'any' } as const

/** A client's flow context; static metadata, so that nothing is fetched. */
function flowContext(
  persist: 'indexeddb' | 'memory',
  onMessage: (message: TabMessage) => void = () => {},
) {
  const metadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
  }
  return createFlowContext(
    validateConfig({ issuer, clientId: 'spa', redirectUri: `${issuer}/cb`, persist, metadata }),
    { store: createAuthState(() => {}), report: () => {}, onMessage },
  )
}

// Another tab of the origin, played by Node's BroadcastChannel.
test("the flow context counts other tabs' messages (a memory tab: logouts only) before the client sees them", async () => {
  for (const [persist, expected] of [
    ['indexeddb', [1, 2]],
    ['memory', [0, 1]],
  ] as const) {
    const counts: number[] = []
    let lastDelivered!: () => void
    const delivered = new Promise<void>((done) => (lastDelivered = done))
    const ctx = flowContext(persist, (message) => {
      counts.push(ctx.heard())
      if (message.type === 'logout') lastDelivered()
    })
    const otherTab = new BroadcastChannel(ctx.name)
    otherTab.postMessage({ type: 'changed' })
    otherTab.postMessage({ type: 'logout' })
    await delivered
    otherTab.close()
    ctx.close()
    assert.deepEqual(counts, expected, persist)
  }
})

test('a memory tab tells other tabs of its logouts only: its sessions and their endings are its own', async () => {
  const ctx = flowContext('memory')
  const otherTab = new BroadcastChannel(ctx.name)
  const heard: unknown[] = []
  const loggedOut = new Promise<void>(
    (done) =>
      (otherTab.onmessage = ({ data }) => {
        heard.push(data)
        if (data.type === 'logout') done()
      }),
  )
  const ended = { type: 'ended', code: 'login_required' } as const
  await ctx.core.commit(any, { store: 'delete', tell: ended })
  await ctx.core.commit(any, { store: 'delete', logout: true, tell: { type: 'logout' } })
  await loggedOut
  otherTab.close()
  ctx.close()
  assert.deepEqual(heard, [{ type: 'logout' }])
})

for (const tab of ['a memory tab', 'a tab that fell back to memory'] as const) {
  test(`${tab}: its logout leaves the mark, its sessions are never behind it nor lift it, and only logouts reach it`, async () => {
    // The mark ends IndexedDB tabs' stored session, which a session in memory cannot delete: set
    // by this tab's logout (logout.ts), it must neither end this tab's next login, issued in the
    // same second, nor be lifted by it.
    const items = new Map<string, string>()
    Object.assign(globalThis, { localStorage: mapStorage(items) })
    const persist = tab === 'a memory tab' ? 'memory' : 'indexeddb'
    const ctx = flowContext(persist)
    // IndexedDB could not be used: init() carries on in memory.
    if (persist === 'indexeddb') ctx.useMemory()
    try {
      const key = await makeKey('ES256')
      const now = Math.floor(Date.now() / 1000)
      const token = { iss: issuer, aud: 'spa', sub: 'a', iat: now, exp: now + 60 }
      const idToken = await sign(token, key)
      const claims = await validateStoredIdToken(idToken, {
        issuer,
        clientId: 'spa',
        algorithms: ['ES256'],
        resolveKey: resolverOf([key.jwk]),
      })
      const login = async () => {
        const session = createSession({
          idToken,
          accessToken: 'at',
          issuedAt: now,
          expiresAt: now + 60,
        })
        assert.equal(await ctx.core.commit(any, { session, claims, store: 'put' }), 'done')
        return session
      }
      await login()
      await rejectsWith(logoutSession(ctx, null as never), 'invalid_config')
      // A return address is held to the rules of the one given at construction.
      for (const postLogoutRedirectUri of ['http://app.example/', 'https://app.example/#'])
        await rejectsWith(logoutSession(ctx, { postLogoutRedirectUri }), 'invalid_config')
      assert.equal(ctx.core.state().status, 'signedIn', 'bad options end nothing')
      assert.equal(await logoutSession(ctx, { localOnly: true }), undefined)
      assert.equal(items.size, 2, 'the logout left the mark, and which logout it was')
      const session = await login()
      assert.equal(items.size, 2, 'the mark stays')
      assert.equal((await ctx.core.read())?.id, session.id)
      await followTab(ctx, { type: 'changed' })
      await followTab(ctx, { type: 'ended', code: 'login_required' })
      assert.equal(ctx.core.state().status, 'signedIn')
      await followTab(ctx, { type: 'logout' })
      assert.equal(ctx.core.state().status, 'signedOut')
    } finally {
      ctx.close()
      delete (globalThis as { localStorage?: unknown }).localStorage
    }
  })
}

test('a flow that commits after the client closed tells no one, and does not fail for it', async () => {
  const ctx = flowContext('memory')
  ctx.close()
  const change = { store: 'delete', logout: true, tell: { type: 'logout' } } as const
  assert.equal(await ctx.core.commit(any, change), 'done')
})

test('two clients whose issuer and client id would join into one string share no name', () => {
  const names = [
    ['https://id.example.com/a', 'bc'],
    ['https://id.example.com/ab', 'c'],
  ].map(([issuer, clientId]) => {
    const config = { issuer, clientId, redirectUri: 'https://app.example/cb', persist: 'memory' }
    const metadata = {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/t`,
      jwks_uri: `${issuer}/k`,
    }
    const store = createAuthState(() => {})
    const ctx = createFlowContext(validateConfig({ ...config, metadata } as never), {
      store,
      report: () => {},
      onMessage: () => {},
    })
    ctx.close()
    return ctx.lockName
  })
  assert.notEqual(names[0], names[1])
})

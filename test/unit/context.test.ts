import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAuthState } from '../../src/auth-state.js'
import { validateConfig } from '../../src/config.js'
import { createFlowContext } from '../../src/context.js'
import { validateStoredIdToken } from '../../src/id-token.js'
import { createSession } from '../../src/session.js'
import { makeKey, resolverOf, sign } from './helpers.js'

// Another tab of the origin, played by Node's BroadcastChannel.
test("the flow context counts other tabs' messages (a memory tab: logouts only) before the client sees them", async () => {
  for (const [persist, expected] of [
    ['indexeddb', [1, 2]],
    ['memory', [0, 1]],
  ] as const) {
    const config = validateConfig({
      issuer: 'https://id.example.com',
      clientId: 'spa',
      redirectUri: 'https://app.example.com/cb',
      persist,
    })
    const counts: number[] = []
    let lastDelivered!: () => void
    const delivered = new Promise<void>((done) => (lastDelivered = done))
    const ctx = createFlowContext(config, {
      store: createAuthState(() => {}),
      report: () => {},
      onMessage: (message) => {
        counts.push(ctx.heard())
        if (message.type === 'logout') lastDelivered()
      },
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
  const config = validateConfig({
    issuer: 'https://id.example.com',
    clientId: 'spa',
    redirectUri: 'https://app.example.com/cb',
    persist: 'memory',
  })
  const ctx = createFlowContext(config, {
    store: createAuthState(() => {}),
    report: () => {},
    onMessage: () => {},
  })
  const otherTab = new BroadcastChannel(ctx.name)
  const heard: unknown[] = []
  const loggedOut = new Promise<void>(
    (done) =>
      (otherTab.onmessage = ({ data }) => {
        heard.push(data)
        if (data.type === 'logout') done()
      }),
  )
  const any = { generation: 'any', record: 'any' } as const
  const ended = { type: 'ended', code: 'login_required' } as const
  await ctx.core.commit(any, { store: 'delete', tell: ended })
  await ctx.core.commit(any, { store: 'delete', logout: true, tell: { type: 'logout' } })
  await loggedOut
  otherTab.close()
  ctx.close()
  assert.deepEqual(heard, [{ type: 'logout' }])
})

test("a memory tab's sessions are never behind the logout mark, and its logins leave it in place", async () => {
  // The mark ends IndexedDB tabs' stored session: set by a memory tab's logout (logout.ts), it
  // must neither end the memory tab's next login, issued in the same second, nor be lifted by it.
  const items = new Map<string, string>()
  const localStorage = {
    getItem: (name: string) => items.get(name) ?? null,
    setItem: (name: string, value: string) => void items.set(name, value),
    removeItem: (name: string) => void items.delete(name),
  }
  Object.assign(globalThis, { localStorage })
  const issuer = 'https://id.example.com'
  const ctx = createFlowContext(
    validateConfig({ issuer, clientId: 'spa', redirectUri: `${issuer}/cb`, persist: 'memory' }),
    { store: createAuthState(() => {}), report: () => {}, onMessage: () => {} },
  )
  try {
    const key = await makeKey('ES256')
    const now = Math.floor(Date.now() / 1000)
    const idToken = await sign({ iss: issuer, aud: 'spa', sub: 'a', iat: now, exp: now + 60 }, key)
    const claims = await validateStoredIdToken(idToken, {
      issuer,
      clientId: 'spa',
      algorithms: ['ES256'],
      resolveKey: resolverOf([key.jwk]),
    })
    ctx.tombstone.set(Date.now())
    const session = createSession({
      idToken,
      accessToken: 'at',
      issuedAt: now,
      expiresAt: now + 60,
    })
    const any = { generation: 'any', record: 'any' } as const
    assert.equal(await ctx.core.commit(any, { session, claims, store: 'put' }), 'done')
    assert.equal(items.size, 1, 'the mark stays')
    assert.equal((await ctx.core.read())?.id, session.id)
  } finally {
    ctx.close()
    delete (globalThis as { localStorage?: unknown }).localStorage
  }
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAuthState } from '../../src/auth-state.js'
import { validateConfig } from '../../src/config.js'
import { createFlowContext } from '../../src/context.js'

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

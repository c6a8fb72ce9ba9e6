// What the tab channel passes on of a message another tab (or anything on the origin) posted:
// only the known shapes, and of an ending only a code that ends sessions, a string reason and a
// string record id.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTabChannel, type TabMessage } from '../../src/tabs.js'

test('messages of another shape are dropped, and an ending keeps only what it may carry', async () => {
  const heard: TabMessage[] = []
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  const receiver = createTabChannel('tab-channel-shapes', (message) =>
    message.type === 'logout' ? done() : heard.push(message),
  )
  const sender = new BroadcastChannel('tab-channel-shapes')
  for (const message of [
    { type: 'changed', token: 'x' },
    { type: 'signedin' },
    'changed',
    null,
    { type: 'ended', code: 'storage_error', reason: 'exp', record: 'r1' },
    { type: 'ended', code: 'id_token_invalid', reason: 5, record: { id: 'r2' } },
    { type: 'ended', code: 'login_required', reason: 'sub', record: 'r3' },
    // Last, so that everything before it has come (one sender's messages keep their order).
    { type: 'logout' },
  ])
    sender.postMessage(message)
  await finished
  sender.close()
  receiver.close()
  assert.deepEqual(heard, [
    { type: 'changed' },
    { type: 'ended' },
    { type: 'ended', code: 'id_token_invalid', reason: undefined, record: undefined },
    { type: 'ended', code: 'login_required', reason: 'sub', record: 'r3' },
  ])
})

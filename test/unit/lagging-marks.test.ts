// Marks in localStorage that another tab cannot read yet (a message may outrun them, and their
// `storage` event comes later). An ending's message names the record it ended, so that a tab
// holding it ends with the reason; and a session refreshed while a logout's mark was not
// readable is still ended by it once it is, since the mark compares the login's time.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { createAuthState } from '../../src/auth-state.js'
import type { FlowContext } from '../../src/context.js'
import { OidcError } from '../../src/errors.js'
import { createSessionCore } from '../../src/session-core.js'
import { createTombstone } from '../../src/tombstone.js'
import { followTab, syncFromStorage } from '../../src/sync.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { mapStorage, resolverOf, sign } from './helpers.js'
import { renewSession } from '../../src/renew.js'
import { createSession } from '../../src/session.js'
import { createTabChannel, type TabMessage } from '../../src/tabs.js'
import {
  claims,
  idToken,
  issuer,
  key,
  now,
  origin,
  refreshWithAnswer,
  sessionOf,
  signIdToken,
} from './session-faults-support.js'

before(signIdToken)

const any = { generation: 'any', record: 'any' } as const

/**
 * Two tabs over one IndexedDB whose session delete can be refused, each with its own copy of
 * localStorage: B's catches up with A's only when the test says so.
 */
function tabs() {
  const records = createMemoryVault()
  let refuseDelete = false
  const vault: Vault = {
    ...records,
    swap: async (name, next) => {
      if (name === 'session' && refuseDelete && next(await records.get(name)) === undefined)
        throw new OidcError('storage_error', 'refused')
      return records.swap(name, next)
    },
    set: (name, value) => vault.swap(name, () => value),
  }
  const seenByA = new Map<string, string>()
  // B's copy of localStorage, which catches up with A's later.
  const seenByB = new Map<string, string>()
  const tab = (items: Map<string, string>) => {
    const posted: TabMessage[] = []
    const tombstone = createTombstone('ns', () => mapStorage(items))
    const core = createSessionCore({
      vault: () => vault,
      bound: false,
      store: createAuthState(() => {}),
      tombstone,
      post: (message) => posted.push(message),
    })
    const ctx = {
      config: { issuer, clientId: 'spa', persist: 'indexeddb' },
      core,
      provider: {
        metadata: async () => ({ id_token_signing_alg_values_supported: ['ES256'] }),
        resolveKey: resolverOf([key.jwk]),
        preload: () => {},
      },
      inMemory: () => false,
      tombstone,
    } as unknown as FlowContext
    return { core, ctx, posted, tombstone }
  }
  const [a, b] = [tab(seenByA), tab(seenByB)]
  const catchUp = () => seenByA.forEach((value, name) => seenByB.set(name, value))
  return {
    a: { ...a, catchUp },
    b,
    vault,
    refuseDelete: (refuse: boolean) => void (refuseDelete = refuse),
  }
}

test("B shows the reason A's refused refresh ended the session, whatever arrives first", async () => {
  const { a, b, refuseDelete } = tabs()
  const first = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: first, claims, store: 'put' })
  await b.core.commit(any, { session: first, claims, store: 'keep' })
  // A's refresh is refused, and IndexedDB refuses the delete; A tells what renew.ts tells.
  refuseDelete(true)
  const ended = new OidcError('login_required', 'the provider no longer accepts the refresh token')
  const tell = { type: 'ended', code: ended.code, record: first.id } as const
  const basis = { generation: a.core.held().generation, record: first.id }
  assert.equal(await a.core.commit(basis, { store: 'delete', error: ended, tell }), 'done')
  refuseDelete(false)
  // B: the channel message first, then localStorage catches up and its `storage` event comes.
  await followTab(b.ctx, a.posted[0]!)
  a.catchUp()
  await followTab(b.ctx, { type: 'changed' })
  const state = b.core.state()
  assert.equal(state.status, 'signedOut')
  assert.equal(state.status === 'signedOut' && state.error?.code, 'login_required')
  assert.equal(await b.core.read(), undefined, 'and the record is gone from storage')
})

test("a session refreshed while a memory tab's logout mark was not readable ends once it is", async () => {
  const { a, b, vault } = tabs()
  const first = sessionOf('b1', now - 100)
  await b.core.commit(any, { session: first, claims, store: 'put' })
  // A memory tab logs out: its mark only, which B cannot read yet.
  a.tombstone.set(now * 1000)
  // B refreshes meanwhile, seconds later.
  const refreshed = createSession({
    ...{ idToken, accessToken: 'a2', refreshToken: 'r2' },
    issuedAt: now + 5,
    expiresAt: now + 3600,
    signedInAt: first.signedInAt ?? first.issuedAt,
  })
  const basis = { generation: b.core.held().generation, record: first.id }
  assert.equal(await b.core.commit(basis, { session: refreshed, claims, store: 'put' }), 'done')
  // The mark becomes readable in B, and its `storage` event makes B read storage again.
  a.catchUp()
  await followTab(b.ctx, { type: 'changed' })
  assert.equal(b.core.state().status, 'signedOut')
  assert.equal(await vault.get('session'), undefined, 'a reload restores nothing')
})

test('a refresh keeps the login time that marks compare', async () => {
  const refreshed = await refreshWithAnswer(
    { ...sessionOf('a1', now - 1000), refreshToken: 'r1' },
    { access_token: 'a2', token_type: 'Bearer', refresh_token: 'r2', expires_in: 300 },
  )
  assert.equal(refreshed.session.signedInAt, now - 1000)
})

test('a refused refresh tells the other tabs which record ended, and the channel carries it', async () => {
  const { tab } = origin()
  const a = tab()
  const first = { ...sessionOf('a1', now - 1000), expiresAt: now - 1 }
  await a.core.commit(any, { session: first, claims, store: 'put' })
  Object.assign(a.ctx.config, {
    fetch: async () => Response.json({ error: 'invalid_grant' }, { status: 400 }),
  })
  Object.assign(a.ctx.provider, {
    metadata: async () => ({
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint: `${issuer}/token`,
    }),
  })
  await assert.rejects(renewSession(a.ctx), { code: 'login_required' })
  const ended = a.posted.find((message) => message.type === 'ended')
  assert.deepEqual(ended, {
    type: 'ended',
    code: 'login_required',
    reason: undefined,
    record: first.id,
  })

  let receiver!: ReturnType<typeof createTabChannel>
  const heard = new Promise((resolve) => (receiver = createTabChannel('lagging-marks', resolve)))
  const sender = createTabChannel('lagging-marks', () => {})
  try {
    sender.post(ended!)
    assert.deepEqual(await heard, ended)
  } finally {
    receiver.close()
    sender.close()
  }
})

test('a stored session that fails a check when a tab takes it over: the ending names its record', async () => {
  const { tab, vault } = origin()
  const a = tab()
  const otherAudience = await sign(
    { iss: issuer, aud: 'other', sub: 'alice', iat: now, exp: now + 600 },
    key,
  )
  const stored = { ...sessionOf('a1'), idToken: otherAudience }
  await vault.set('session', stored)
  await syncFromStorage(a.ctx)
  assert.deepEqual(a.posted, [
    { type: 'ended', code: 'id_token_invalid', reason: 'aud', record: stored.id },
  ])
})

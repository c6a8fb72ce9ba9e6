import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { createAuthState, type AuthState } from '../../src/auth-state.js'
import { OidcError } from '../../src/errors.js'
import { validateStoredIdToken, type IdTokenClaims } from '../../src/id-token.js'
import { createSessionCore } from '../../src/session-core.js'
import { createSession, type Session } from '../../src/session.js'
import type { TabMessage } from '../../src/tabs.js'
import { createTombstone } from '../../src/tombstone.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { makeKey, resolverOf, sign } from './helpers.js'

let claims: Readonly<IdTokenClaims>
before(async () => {
  const key = await makeKey('ES256')
  const token = await sign({ iss: 'https://id.example.com', aud: 'spa', sub: 'alice' }, key)
  claims = await validateStoredIdToken(token, {
    issuer: 'https://id.example.com',
    clientId: 'spa',
    algorithms: ['ES256'],
    resolveKey: resolverOf([key.jwk]),
  })
})

const sessionOf = (accessToken: string): Session =>
  createSession({ idToken: 'id', accessToken, issuedAt: 1, expiresAt: 2 })

function setup(vault: Vault = createMemoryVault()) {
  const events: string[] = []
  const posted: TabMessage[] = []
  const store = createAuthState((type) => events.push(type))
  const core = createSessionCore({
    vault: () => vault,
    bound: false,
    store,
    tombstone: createTombstone('["https://id.example.com","spa"]'),
    post: (message) => posted.push(message),
  })
  return { core, store, vault, events, posted }
}

const snapshot = (core: ReturnType<typeof setup>['core']) => ({
  held: core.held().session?.accessToken,
  status: (core.state() as AuthState).status,
})

describe('the session core commits a change only from where it started', () => {
  test('a change applies to memory, storage and state at once, and tells the other tabs', async () => {
    const { core, posted } = setup()
    const session = sessionOf('a')
    const basis = { generation: core.held().generation, record: undefined }
    assert.equal(
      await core.commit(basis, { session, claims, store: 'put', tell: { type: 'changed' } }),
      'done',
    )
    assert.deepEqual(snapshot(core), { held: 'a', status: 'signedIn' })
    assert.equal((await core.read())?.id, session.id)
    assert.deepEqual(posted, [{ type: 'changed' }])
    assert.equal(core.held().generation, basis.generation + 1)
  })

  test('stale: this tab moved on since the basis; nothing changes', async () => {
    const { core } = setup()
    const basis = { generation: core.held().generation, record: undefined }
    await core.commit(basis, { session: sessionOf('a'), claims, store: 'put' })
    assert.equal(
      await core.commit(basis, { session: sessionOf('b'), claims, store: 'put' }),
      'stale',
    )
    assert.deepEqual(snapshot(core), { held: 'a', status: 'signedIn' })
    assert.equal((await core.read())?.accessToken, 'a')
  })

  test('conflict: storage holds another record than the basis; storage wins and nothing changes', async () => {
    const { core, vault } = setup()
    const first = sessionOf('a')
    await core.commit({ generation: 0, record: 'any' }, { session: first, claims, store: 'put' })
    // Another tab replaced the record.
    const other = sessionOf('other')
    await vault.set('session', other)
    const basis = { generation: core.held().generation, record: first.id }
    assert.equal(
      await core.commit(basis, { session: sessionOf('b'), claims, store: 'put' }),
      'conflict',
    )
    assert.equal((await core.read())?.id, other.id)
    assert.deepEqual(snapshot(core), { held: 'a', status: 'signedIn' })
    assert.equal(await core.commit(basis, { store: 'delete' }), 'conflict', 'nor is it deleted')
  })

  test('commits run one at a time, in the order proposed', async () => {
    const { core } = setup()
    const basis = { generation: 0, record: 'any' } as const
    const outcomes = await Promise.all([
      core.commit(basis, { session: sessionOf('a'), claims, store: 'put' }),
      core.commit(basis, { session: sessionOf('b'), claims, store: 'put' }),
    ])
    assert.deepEqual(outcomes, ['done', 'stale'])
    assert.equal(core.held().session?.accessToken, 'a')
  })

  test('a write storage refuses throws, and leaves memory and state as they were', async () => {
    const broken: Vault = {
      ...createMemoryVault(),
      swap: async () => {
        throw new OidcError('storage_error', 'refused')
      },
    }
    const { core, events } = setup(broken)
    await assert.rejects(
      core.commit(
        { generation: 0, record: 'any' },
        { session: sessionOf('a'), claims, store: 'put' },
      ),
    )
    assert.deepEqual(snapshot(core), { held: undefined, status: 'initializing' })
    assert.deepEqual(events, [])
    // A logout is the exception: it cannot fail on this side.
    assert.equal(
      await core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true }),
      'done',
    )
    assert.equal(core.state().status, 'signedOut')
  })

  test("another tab's plain ending keeps the reason this tab shows; a logout clears it", async () => {
    const { core } = setup()
    const error = new OidcError('id_token_invalid', 'bad', { reason: 'sub' })
    await core.commit({ generation: 0, record: 'any' }, { store: 'keep', error })
    await core.commit({ generation: 'any', record: 'any' }, { store: 'keep' })
    assert.equal((core.state() as { error?: OidcError }).error, error)
    await core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    assert.equal((core.state() as { error?: OidcError }).error, undefined)
  })
})

// What an ending leaves in localStorage when IndexedDB refuses its delete (the tombstone): it
// ends what it should, in every tab, and nothing else. A logout ends every session issued before
// it; any other ending only the record it began from. (A review found each of these.)
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import type { IdTokenClaims } from '../../src/id-token.js'
import type { Session } from '../../src/session.js'
import { followTab, restore, syncFromStorage } from '../../src/sync.js'
import { OidcError } from '../../src/errors.js'
import { claims, now, origin, sessionOf, signIdToken } from './session-faults-support.js'

before(signIdToken)

const any = { generation: 'any', record: 'any' } as const
const refused = () => new OidcError('login_required', 'refused')

test("an ending whose delete storage refuses leaves another tab's newer login standing", async () => {
  const { faults, tab, gap } = origin()
  const [a, b] = [tab(), tab()]
  const first = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: first, claims, store: 'put' })
  const basis = { generation: a.core.held().generation, record: first.id }
  // While A's refresh is out, B completes a login; then A's ending cannot reach storage.
  const login = sessionOf('b', now)
  gap.beforeSessionSwap = async () => {
    await b.core.commit(any, { session: login, claims, store: 'put' })
    faults.put = faults.delete = true
  }
  assert.equal(await a.core.commit(basis, { store: 'delete', error: refused() }), 'done')
  faults.put = faults.delete = false
  assert.equal(a.core.state().status, 'signedOut')
  // B hears the mark (its `storage` event) and reads storage again.
  await followTab(b.ctx, { type: 'changed' })
  assert.equal(b.core.state().status, 'signedIn', "B's login was never refused")
  assert.equal((await tab().core.read())?.id, login.id, 'a fresh tab restores it')
})

test('a refresh whose write and delete storage both refuse: no tab takes the spent refresh token up again', async () => {
  const { faults, tab } = origin()
  const [a, b] = [tab(), tab()]
  const spent = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: spent, claims, store: 'put' })
  const basis = { generation: a.core.held().generation, record: spent.id }
  faults.put = faults.delete = true
  // What renew.ts commits then: the refreshed session, in this tab's memory only.
  await a.core.commit(basis, { session: sessionOf('a2'), claims, store: 'memory' })
  faults.put = faults.delete = false
  assert.equal(await b.core.read(), undefined, 'no other tab, nor a reload, finds the spent one')
  await syncFromStorage(a.ctx)
  assert.equal(a.core.held().session?.accessToken, 'a2', 'this tab keeps the refreshed session')
  assert.equal(a.core.state().status, 'signedIn')
})

test("a memory tab's background sign-in stands when another tab's ending leaves a mark meanwhile", async () => {
  const { faults, tab, revoked } = origin()
  const [a, memory] = [tab(), tab(undefined, { memory: true })]
  const first = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: first, claims, store: 'put' })
  let answer!: () => void
  let restoring!: Promise<void>
  await new Promise<void>((asked) => {
    const silent = () => {
      asked()
      return new Promise<{ session: Session; claims: Readonly<IdTokenClaims> }>(
        (resolve) => (answer = () => resolve({ session: sessionOf('m', now + 1), claims })),
      )
    }
    restoring = restore(memory.ctx, silent)
  })
  // A's refresh is refused, and storage refuses the delete.
  faults.delete = true
  const basis = { generation: a.core.held().generation, record: first.id }
  assert.equal(await a.core.commit(basis, { store: 'delete', error: refused() }), 'done')
  faults.delete = false
  answer()
  await restoring
  assert.equal(memory.core.state().status, 'signedIn', 'another tab’s failure never touches it')
  assert.equal(memory.core.held().session?.accessToken, 'm')
  assert.deepEqual(revoked, [])
})

test("a memory tab's background sign-in stands when another tab's login lifts an old logout mark", async () => {
  const { tab, revoked, memoryTabLogout } = origin()
  memoryTabLogout()
  const [idb, memory] = [tab(), tab(undefined, { memory: true })]
  let answer!: () => void
  let restoring!: Promise<void>
  await new Promise<void>((asked) => {
    restoring = restore(memory.ctx, () => {
      asked()
      return new Promise<{ session: Session; claims: Readonly<IdTokenClaims> }>(
        (resolve) => (answer = () => resolve({ session: sessionOf('m', now + 1), claims })),
      )
    })
  })
  // A login lifts the mark: no logout came, so the memory tab keeps its sign-in.
  await idb.core.commit(any, { session: sessionOf('login', now + 1), claims, store: 'put' })
  answer()
  await restoring
  assert.equal(memory.core.state().status, 'signedIn')
  assert.deepEqual(revoked, [], "a login's grant may be this one's: nothing is revoked")
})

test("a logout that lands between a login's write and its lifting of the marks stands", async () => {
  const { tab, gap, faults } = origin()
  const [a, b] = [tab(), tab()]
  gap.afterSessionSwap = async () => {
    faults.delete = true
    assert.equal(await a.core.commit(any, { store: 'delete', logout: true }), 'done')
    faults.delete = false
  }
  await b.core.commit(any, { session: sessionOf('b', now - 1), claims, store: 'put' })
  assert.equal(await tab().core.read(), undefined, 'a reload after the logout restores nothing')
})

// A logout revokes every refresh token it ends: one another tab's refresh stored between the
// logout's read and its delete, one only a tab that storage refused holds, and a memory tab's.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { logoutSession } from '../../src/logout.js'
import { followTab } from '../../src/sync.js'
import { createTombstone } from '../../src/tombstone.js'
import { claims, now, origin, sessionOf, signIdToken } from './session-faults-support.js'

before(signIdToken)

// A tombstone of its own for logoutSession, whose marks no tab reads.
const readyToLogOut = (ctx: object) =>
  Object.assign(ctx, {
    tombstone: createTombstone('ns', () => ({
      getItem: () => null,
      setItem() {},
      removeItem() {},
    })),
  })

// Two tabs holding one stored session; A is about to log out.
async function twoTabs() {
  const fixture = origin()
  const [a, b] = [fixture.tab(), fixture.tab()]
  const any = { generation: 'any', record: 'any' } as const
  const first = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: first, claims, store: 'put' })
  await b.core.commit(any, { session: first, claims, store: 'keep' })
  readyToLogOut(a.ctx)
  return { ...fixture, a, b, first }
}

test('a logout revokes the refresh token of the record it deleted', async () => {
  const { a, b, first, gap, revoked, records } = await twoTabs()
  // B's refresh (under the lock, which logouts do not take) lands just before A's delete.
  const refreshed = sessionOf('b2')
  gap.beforeSessionSwap = async () => {
    const basis = { generation: b.core.held().generation, record: first.id }
    assert.equal(await b.core.commit(basis, { session: refreshed, claims, store: 'put' }), 'done')
  }
  await logoutSession(a.ctx, { localOnly: true })
  assert.equal(await records.get('session'), undefined, 'the logout deleted the refreshed record')
  assert.ok(revoked.includes('r-b2'), `revoked ${JSON.stringify(revoked)}: r-b2 left live`)
})

test('a logout revokes the refresh token of a session storage refused (held by one tab only)', async () => {
  const { tab, faults, revoked } = origin()
  const [a, b] = [tab(), tab()]
  const any = { generation: 'any', record: 'any' } as const
  const first = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: first, claims, store: 'put' })
  await b.core.commit(any, { session: first, claims, store: 'keep' })
  // A's refresh: storage refuses the write, and the spent record is deleted (renew.ts).
  faults.put = true
  const basis = { generation: a.core.held().generation, record: first.id }
  await a.core.commit(basis, {
    session: sessionOf('a2'),
    claims,
    store: 'delete',
    tell: { type: 'changed' },
  })
  faults.put = false
  await followTab(b.ctx, { type: 'changed' }) // B hears A's message: nothing stored, B ends.
  assert.equal(b.core.state().status, 'signedOut')
  readyToLogOut(b.ctx)
  await logoutSession(b.ctx, { localOnly: true })
  await followTab(a.ctx, { type: 'logout' })
  assert.equal(a.core.state().status, 'signedOut', 'A follows the logout')
  assert.ok(
    revoked.includes('r-a2'),
    `revoked ${JSON.stringify(revoked)}: the live refresh token r-a2 is not`,
  )
})

test("a persist: 'memory' tab that follows another tab's logout revokes its own refresh token", async () => {
  const { tab, revoked } = origin()
  const [idb, memory] = [tab(), tab(undefined, { memory: true })]
  const any = { generation: 'any', record: 'any' } as const
  await idb.core.commit(any, { session: sessionOf('i1'), claims, store: 'put' })
  await memory.core.commit(any, { session: sessionOf('m1'), claims, store: 'put' })
  readyToLogOut(idb.ctx)
  await logoutSession(idb.ctx, { localOnly: true })
  await followTab(memory.ctx, { type: 'logout' })
  assert.equal(memory.core.state().status, 'signedOut', 'the memory tab follows the logout')
  assert.ok(revoked.includes('r-m1'), `revoked ${JSON.stringify(revoked)}: r-m1 left live`)
})

test("an IndexedDB tab that follows a memory tab's logout revokes the session the mark ended", async () => {
  const { tab, revoked, memoryTabLogout } = origin()
  const [idb, memory] = [tab(), tab(undefined, { memory: true })]
  const any = { generation: 'any', record: 'any' } as const
  await idb.core.commit(any, { session: sessionOf('i1', now - 100), claims, store: 'put' })
  await memory.core.commit(any, { session: sessionOf('m1'), claims, store: 'put' })
  // The memory tab's logout: its mark, then its own ending.
  memoryTabLogout()
  readyToLogOut(memory.ctx)
  await logoutSession(memory.ctx, { localOnly: true })
  await followTab(idb.ctx, { type: 'logout' })
  assert.equal(idb.core.state().status, 'signedOut')
  assert.ok(revoked.includes('r-i1'), `revoked ${JSON.stringify(revoked)}: r-i1 left live`)
})

test("a logout whose own mark storage refused still revokes another tab's newer record it deleted", async () => {
  const { a, b, first, revoked, records, faults } = await twoTabs()
  // B's refresh lands after A's read, and then storage refuses writes (a full quota), so the
  // logout marks the time in localStorage: that mark covers B's record by its login time.
  const read = a.core.read
  a.core.read = async () => {
    const session = await read()
    const basis = { generation: b.core.held().generation, record: first.id }
    assert.equal(
      await b.core.commit(basis, { session: sessionOf('b2'), claims, store: 'put' }),
      'done',
    )
    faults.put = true
    return session
  }
  await logoutSession(a.ctx, { localOnly: true })
  faults.put = false
  assert.equal(await records.get('session'), undefined)
  assert.ok(revoked.includes('r-b2'), `revoked ${JSON.stringify(revoked)}: r-b2 left live`)
})

// A login and a memory tab's logout (its localStorage mark, and that mark's `storage` event) in
// the same moment, in each order the randomized session runs found a defect in.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { isOidcError } from '../../src/errors.js'
import { commitLogin } from '../../src/redirect-login.js'
import { followTab } from '../../src/sync.js'
import { claims, now, origin, sessionOf, signIdToken } from './session-faults-support.js'

before(signIdToken)

const any = { generation: 'any', record: 'any' } as const

test("a logout mark heard before the logout's message: the session it ends is revoked", async () => {
  const { tab, revoked, memoryTabLogout } = origin()
  const a = tab()
  await a.core.commit(any, { session: sessionOf('a1', now - 100), claims, store: 'put' })
  memoryTabLogout()
  // The mark's `storage` event comes first; the logout's message then finds nothing held.
  await followTab(a.ctx, { type: 'changed' })
  await followTab(a.ctx, { type: 'logout' })
  assert.equal(a.core.state().status, 'signedOut')
  assert.deepEqual(revoked, ['r-a1'])
})

test('a logout mark set while a login is being stored wins: the login fails and is revoked', async () => {
  const { tab, revoked, gap, memoryTabLogout } = origin()
  const a = tab()
  gap.afterSessionSwap = async () => void memoryTabLogout()
  const login = commitLogin(a.ctx, { session: sessionOf('a1', now - 1), claims })
  await assert.rejects(login, (error) => isOidcError(error) && error.code === 'login_required')
  assert.equal(a.core.held().session, undefined, 'this tab holds none')
  assert.notEqual(a.core.state().status, 'signedIn')
  assert.equal(await tab().core.read(), undefined, 'a fresh tab restores nothing')
  assert.deepEqual(revoked, ['r-a1'])
})

test('a tab that deletes a login while the marks it lifts still cover it: every tab follows storage', async () => {
  const { tab, gap, memoryTabLogout } = origin()
  const [a, b] = [tab(), tab()]
  memoryTabLogout()
  // A's login, issued before that logout, lifts its mark: it comes after it. Between its write
  // and the lifting, B reads the record, still covered, and deletes it: B tells the tabs.
  gap.afterSessionSwap = async () => void (await b.core.read())
  await commitLogin(a.ctx, { session: sessionOf('a1', now - 1), claims })
  assert.deepEqual(b.posted, [{ type: 'changed' }])
  await followTab(a.ctx, b.posted[0])
  assert.equal(a.core.state().status, 'signedOut', 'A serves no session that a reload would lose')
  assert.equal(await tab().core.read(), undefined)
})

test('a storage read under way when this tab logs in, which then finds a logout mark, ends the login', async () => {
  const { tab, vault, memoryTabLogout } = origin()
  const a = tab()
  // A's next read of storage waits until the test lets it go.
  const { get } = vault
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  vault.get = async (name) => (name === 'session' && (await released), get(name))
  const following = followTab(a.ctx, { type: 'changed' })
  vault.get = get
  await commitLogin(a.ctx, { session: sessionOf('a1', now - 1), claims })
  assert.equal(a.core.state().status, 'signedIn')
  memoryTabLogout()
  release()
  await following
  assert.equal(a.core.state().status, 'signedOut', 'it follows storage, where the login ended')
})

test("another tab's ending during a login's store is no logout: the login stands, nothing is revoked", async () => {
  const { tab, gap, revoked } = origin()
  const [a, b] = [tab(), tab()]
  const login = sessionOf('a1')
  // B takes the login over at once and refreshes it, and storage refuses the refreshed session:
  // B holds it in memory and marks the login's record ended (its refresh token is spent).
  gap.afterSessionSwap = async () => {
    await followTab(b.ctx, { type: 'changed' })
    const basis = { generation: b.core.held().generation, record: login.id }
    await b.core.commit(basis, { session: sessionOf('a2'), claims, store: 'memory' })
  }
  await commitLogin(a.ctx, { session: login, claims })
  assert.equal(b.core.state().status, 'signedIn')
  assert.deepEqual(revoked, [], "revoking r-a1 would end the grant B's session lives on")
})

test("a memory tab's login right after a logout stands: no mark covers a session in memory", async () => {
  const { tab, memoryTabLogout } = origin()
  const memory = tab(undefined, { memory: true })
  memoryTabLogout()
  await commitLogin(memory.ctx, { session: sessionOf('m1', now - 1), claims })
  assert.equal(memory.core.state().status, 'signedIn')
})

// Guards of the session core that a mutation run found no test for: each test names the rule.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { OidcError } from '../../src/errors.js'
import { followTab, syncFromStorage } from '../../src/sync.js'
import { claims, now, origin, sessionOf, signIdToken } from './session-faults-support.js'

before(signIdToken)

const any = { generation: 'any', record: 'any' } as const

test("an ended message about an older record leaves this tab's newer session, and storage, alone", async () => {
  const { tab } = origin()
  const [a, b] = [tab(), tab()]
  const older = sessionOf('a1', now - 100)
  const newer = sessionOf('a2')
  await a.core.commit(any, { session: newer, claims, store: 'put' })
  await b.core.commit(any, { session: newer, claims, store: 'keep' })
  await followTab(b.ctx, { type: 'ended', code: 'login_required', record: older.id })
  assert.equal(b.core.state().status, 'signedIn')
  assert.equal((await tab().core.read())?.id, newer.id)
})

test("only a login lifts a logout's marks: a refreshed session stored over nothing does not", async () => {
  const { tab, memoryTabLogout } = origin()
  const a = tab()
  const loggedOut = sessionOf('a1', now - 100)
  await a.core.commit(any, { session: loggedOut, claims, store: 'put' })
  memoryTabLogout()
  // A session this tab held unstored (storage refused it) is stored by its next refresh.
  const basis = { generation: a.core.held().generation, record: undefined }
  await a.core.commit(basis, { session: sessionOf('a2'), claims, store: 'put' }).catch(() => {})
  assert.ok(a.ctx.tombstone.covers(loggedOut), 'the logout still ends what it ended')
})

test('a logout storage refuses to record ends its session even when the clock went back since its login', async () => {
  const { tab, faults } = origin()
  const a = tab()
  await a.core.commit(any, { session: sessionOf('a1', now + 3600), claims, store: 'put' })
  faults.put = faults.delete = true
  await a.core.commit(any, { store: 'delete', logout: true })
  faults.put = faults.delete = false
  assert.equal(await tab().core.read(), undefined, 'a reload restores nothing')
})

test('a logout mark that cannot be read is never equal to another: it hides no logout', async () => {
  const { tab, vault } = origin()
  const a = tab()
  vault.get = async () => {
    throw new OidcError('storage_error', 'refused')
  }
  assert.notEqual(await a.core.logoutMark(), await a.core.logoutMark())
})

test('discovery out of reach when a stored session is verified is jwks_error: the session stays stored', async () => {
  const { tab } = origin()
  const [a, b] = [tab(), tab()]
  const stored = sessionOf('a1')
  await a.core.commit(any, { session: stored, claims, store: 'put' })
  b.ctx.provider.metadata = async () => {
    throw new OidcError('discovery_error', 'unreachable')
  }
  await syncFromStorage(b.ctx)
  const state = b.core.state()
  assert.equal(state.status === 'signedOut' && state.error?.code, 'jwks_error')
  assert.equal((await tab().core.read())?.id, stored.id)
})

test('a record a mark ends is deleted at the next read, which tells the tabs; a refused delete tells nothing', async () => {
  const { tab, faults, memoryTabLogout } = origin()
  const [a, b] = [tab(), tab()]
  await a.core.commit(any, { session: sessionOf('a1', now - 100), claims, store: 'put' })
  memoryTabLogout()
  // Storage refuses: nothing changed, and no message sets every tab reading it again in turn.
  faults.delete = true
  assert.equal(await b.core.read(), undefined)
  assert.deepEqual(b.posted, [])
  faults.delete = false
  assert.equal(await b.core.read(), undefined)
  assert.deepEqual(b.posted, [{ type: 'changed' }])
})

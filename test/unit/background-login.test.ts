// A login that is not the user's (signInSilently(), a check in the background) never undoes a
// logout; and an answer that comes after close() changes nothing.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { OidcError, isOidcError } from '../../src/errors.js'
import { commitLogin, failLogin } from '../../src/redirect-login.js'
import { logoutsSince, restore } from '../../src/sync.js'
import { claims, origin, sessionOf, signIdToken } from './session-faults-support.js'

before(signIdToken)

const any = { generation: 'any', record: 'any' } as const
const failsWith = (code: string) => (error: unknown) => isOidcError(error) && error.code === code

describe('signInSilently() yields to a logout that came while it was out', () => {
  test('a logout in another tab before the answer: nothing is stored, its refresh token is revoked', async () => {
    const { tab, revoked } = origin()
    const [a, b] = [tab(), tab()]
    await b.core.commit(any, { session: sessionOf('b'), claims, store: 'put' })
    const since = logoutsSince(a.ctx)
    await b.core.commit(any, { store: 'delete', logout: true })
    const silent = commitLogin(a.ctx, { session: sessionOf('silent'), claims }, await since)
    await assert.rejects(silent, failsWith('login_required'))
    assert.notEqual(a.core.state().status, 'signedIn')
    assert.equal(await tab().core.read(), undefined, 'a reload finds no session')
    assert.deepEqual(a.posted, [], 'no tab was told of a session')
    assert.deepEqual(revoked, ['r-silent'])
  })

  test('a logout in another tab just after its commit: taken back, every tab signed out', async () => {
    const { tab, revoked, gap } = origin()
    const [a, b] = [tab(), tab()]
    const since = logoutsSince(a.ctx)
    gap.afterSessionSwap = async () =>
      void (await b.core.commit(any, { store: 'delete', logout: true }))
    const silent = commitLogin(a.ctx, { session: sessionOf('silent'), claims }, await since)
    await assert.rejects(silent, failsWith('login_required'))
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(await tab().core.read(), undefined)
    assert.deepEqual(revoked, ['r-silent'])
  })

  test("the logout's plain signedOut stands: the error is thrown and fired, not shown on the state", async () => {
    const { tab } = origin()
    const [a, b] = [tab(), tab()]
    await a.core.commit(any, { store: 'keep' })
    const since = logoutsSince(a.ctx)
    await b.core.commit(any, { store: 'delete', logout: true })
    const error = await commitLogin(a.ctx, { session: sessionOf('s'), claims }, await since).catch(
      (caught: unknown) => caught,
    )
    const reported: unknown[] = []
    a.ctx.report = (error) => void reported.push(error)
    assert.equal(await failLogin(a.ctx, error, async () => a.core.state()), error)
    assert.deepEqual(a.core.state(), { status: 'signedOut' })
    assert.deepEqual(reported, [error])
  })

  test("a memory tab, which hears of IndexedDB tabs' logouts by message only", async () => {
    const { tab, revoked } = origin()
    const a = tab(undefined, { memory: true })
    const since = logoutsSince(a.ctx)
    a.messages.heard += 1
    const silent = commitLogin(a.ctx, { session: sessionOf('silent'), claims }, await since)
    await assert.rejects(silent, failsWith('login_required'))
    assert.notEqual(a.core.state().status, 'signedIn')
    assert.deepEqual(revoked, ['r-silent'])
  })

  test("another tab's login or refresh meanwhile is no logout: the silent sign-in stands", async () => {
    const { tab, revoked } = origin()
    const [a, b] = [tab(), tab()]
    const since = logoutsSince(a.ctx)
    await b.core.commit(any, { session: sessionOf('b'), claims, store: 'put' })
    a.messages.heard += 1
    await commitLogin(a.ctx, { session: sessionOf('silent'), claims }, await since)
    assert.equal(a.core.state().status, 'signedIn')
    assert.equal((await tab().core.read())?.accessToken, 'silent')
    assert.deepEqual(revoked, [])
  })
})

describe('an answer redeemed after close() (a framework unmounted the app)', () => {
  test('is not stored, and its refresh token is revoked when no session is stored', async () => {
    const { tab, revoked } = origin()
    const a = tab()
    a.ctx.close()
    const login = commitLogin(a.ctx, { session: sessionOf('late'), claims })
    await assert.rejects(login, failsWith('invalid_config'))
    assert.equal(a.core.state().status, 'initializing', 'the state did not move')
    assert.equal(await tab().core.read(), undefined)
    assert.deepEqual(a.posted, [])
    assert.deepEqual(revoked, ['r-late'])
  })

  test('is not revoked when a session is stored, whose grant it may share', async () => {
    const { tab, revoked } = origin()
    const [a, b] = [tab(), tab()]
    await b.core.commit(any, { session: sessionOf('b'), claims, store: 'put' })
    a.ctx.close()
    await assert.rejects(
      commitLogin(a.ctx, { session: sessionOf('late'), claims }),
      failsWith('invalid_config'),
    )
    assert.equal((await tab().core.read())?.accessToken, 'b')
    assert.deepEqual(revoked, [])
  })

  test('a failed one is thrown as it is: no restore, no state change', async () => {
    const { tab } = origin()
    const a = tab()
    a.ctx.close()
    const failure = new OidcError('token_error', 'token endpoint answered HTTP 500')
    let restored = false
    const restore = async () => ((restored = true), a.core.state())
    assert.equal(await failLogin(a.ctx, failure, restore), failure)
    assert.equal(restored, false)
    assert.equal(a.core.state().status, 'initializing')
  })
})

test('init({ silent: true }) whose answer comes after close(): not stored, no tab told', async () => {
  const { tab, revoked } = origin()
  const a = tab()
  const restoring = restore(a.ctx, async () => {
    a.ctx.close()
    return { session: sessionOf('late'), claims }
  })
  await restoring
  assert.equal(await tab().core.read(), undefined)
  assert.deepEqual(a.posted, [])
  assert.deepEqual(revoked, ['r-late'])
})

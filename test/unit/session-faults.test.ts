// The session core and its flows over a vault that fails on demand, for the races and faults
// an independent review found: each test names the SPEC sentence it holds. The races of a
// background silent sign-in are in silent-restore-races.test.ts.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { OidcError } from '../../src/errors.js'
import { renewSession } from '../../src/renew.js'
import { followTab, restore } from '../../src/sync.js'
import { makeKey, rejectsWith, resolverOf, sign } from './helpers.js'
import {
  claims,
  issuer,
  key,
  now,
  origin,
  refreshWithAnswer,
  sessionOf,
  signIdToken,
} from './session-faults-support.js'

before(signIdToken)

describe('faults and races around the session core', () => {
  test("a tab holding a session storage refused still follows another tab's logout", async () => {
    const { faults, tab } = origin()
    const [a, b] = [tab(), tab()]
    const first = sessionOf('a1')
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: first, claims, store: 'put' },
    )
    // A's refresh: storage refuses the write, so the new session stays in A's memory only.
    faults.put = true
    const basis = { generation: a.core.held().generation, record: first.id }
    await a.core.commit(basis, { session: sessionOf('a2'), claims, store: 'delete' })
    faults.put = false
    await b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    await followTab(a.ctx, { type: 'logout' })
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(a.core.held().session, undefined)
  })

  test('a refresh that lands after a logout whose delete failed does not bring the session back', async () => {
    const { faults, tab } = origin()
    const [a, b] = [tab(), tab()]
    const first = sessionOf('a1', now - 100)
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: first, claims, store: 'put' },
    )
    const basis = { generation: a.core.held().generation, record: first.id }
    faults.delete = true
    await b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    faults.delete = false
    const outcome = await a.core.commit(basis, {
      session: sessionOf('a2', now + 1),
      claims,
      store: 'put',
    })
    assert.equal(outcome, 'conflict')
    assert.equal(await tab().core.read(), undefined, 'a fresh tab finds no session')
  })

  test('a refused refresh ends the session even when storage refuses the delete', async () => {
    const { faults, tab } = origin()
    const a = tab()
    const first = sessionOf('a1', now - 100)
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: first, claims, store: 'put' },
    )
    faults.delete = true
    const ended = new OidcError('login_required', 'refused')
    const basis = { generation: a.core.held().generation, record: first.id }
    assert.equal(await a.core.commit(basis, { store: 'delete', error: ended }), 'done')
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(await tab().core.read(), undefined, 'the record left behind is not restored')
  })

  test('a restore that other tabs keep outpacing still ends, never stuck initializing', async () => {
    const { tab } = origin()
    const writer = tab()
    const put = () =>
      writer.core.commit(
        { generation: 'any', record: 'any' },
        { session: sessionOf('w'), claims, store: 'put' },
      )
    await put()
    // Each verification of this tab sees another tab store a new session meanwhile.
    const slow = tab(async (header) => (await put(), resolverOf([key.jwk])(header)))
    await restore(slow.ctx)
    assert.notEqual(slow.core.state().status, 'initializing')
  })

  test('a logout whose mark storage refuses leaves the tombstone: a session issued before it that lands later is not restored', async () => {
    const { records, faults, tab } = origin()
    faults.put = true
    await tab().core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    faults.put = false
    // Stored behind the logout's back (another tab's write that was already on its way).
    await records.set('session', sessionOf('late', now - 100))
    assert.equal(await tab().core.read(), undefined)
  })

  test('a refreshed ID token issued "in the future" (this clock behind) is kept pending, not fatal', async () => {
    const ahead = await sign(
      { iss: issuer, aud: 'spa', sub: 'alice', iat: now + 300, exp: now + 900 },
      key,
    )
    const refreshed = await refreshWithAnswer(
      { ...sessionOf('a1'), refreshToken: 'r1' },
      { access_token: 'a2', token_type: 'Bearer', id_token: ahead, refresh_token: 'r2' },
    )
    assert.equal(refreshed.pending?.code, 'jwks_error')
    assert.equal(refreshed.session.pendingIdToken, ahead)
    assert.equal(refreshed.session.refreshToken, 'r2', 'the rotated tokens are kept')
    assert.equal(refreshed.claims, claims)
  })

  test('a pending ID token that really fails when its turn comes ends the session', async () => {
    const { tab } = origin()
    const a = tab()
    const forged = await sign(
      { iss: issuer, aud: 'spa', sub: 'alice' },
      await makeKey('ES256', key.kid),
    )
    const session = { ...sessionOf('a1'), pendingIdToken: forged }
    await a.core.commit({ generation: 'any', record: 'any' }, { session, claims, store: 'put' })
    await rejectsWith(renewSession(a.ctx), 'id_token_invalid', 'signature')
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(await a.core.read(), undefined, 'the session is deleted')
  })

  test('a pending ID token must name the same user as the session: another audience ends it', async () => {
    const { tab } = origin()
    const a = tab()
    // Signed by the provider's key, for this client too, but not for the session's audience.
    const widened = await sign(
      { iss: issuer, aud: ['spa', 'api'], azp: 'spa', sub: 'alice', iat: now, exp: now + 600 },
      key,
    )
    const session = { ...sessionOf('a1'), pendingIdToken: widened }
    await a.core.commit({ generation: 'any', record: 'any' }, { session, claims, store: 'put' })
    await rejectsWith(renewSession(a.ctx), 'id_token_invalid', 'aud')
    assert.equal(a.core.state().status, 'signedOut')
  })
})

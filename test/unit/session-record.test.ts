// A stored session record is type-checked field by field on every read: one of another shape
// counts as no session (and is deleted), never as a session with a hole in it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSession, toSession } from '../../src/session.js'

const session = createSession({
  idToken: 'a.b.c',
  accessToken: 'at',
  refreshToken: 'rt',
  scope: 'openid',
  issuedAt: 1_800_000_000,
  expiresAt: 1_800_000_300,
})

test('a record of the current shape is a session', () => {
  assert.equal(toSession(session, false), session)
  assert.equal(toSession({ ...session, pendingIdToken: 'd.e.f' }, false)?.pendingIdToken, 'd.e.f')
})

test('a record with a field missing or of another type is none', () => {
  const broken: Record<string, unknown>[] = [
    { v: 1 },
    { id: 7 },
    { idToken: undefined },
    { accessToken: 42 },
    { accessToken: undefined },
    { expiresAt: 'x' },
    { expiresAt: undefined },
    { issuedAt: undefined },
    { issuedAt: Infinity },
    { signedInAt: '1800000000' },
    { signedInAt: NaN },
    { refreshToken: 1 },
    { scope: ['openid'] },
    { pendingIdToken: {} },
  ]
  for (const change of broken)
    assert.equal(toSession({ ...session, ...change }, false), undefined, JSON.stringify(change))
  assert.equal(toSession(undefined, false), undefined)
  assert.equal(toSession('session', false), undefined)
})

// What a refresh answer makes of the session: the refresh token kept when none comes (RFC 6749
// section 6), and a lifetime in the future whatever the answer says, so that renewal cannot loop.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import type { Dpop } from '../../src/dpop-binding.js'
import {
  issuer,
  key,
  now,
  refreshWithAnswer,
  sessionOf,
  signIdToken,
} from './session-faults-support.js'
import { rejectsWith, sign } from './helpers.js'

before(signIdToken)

const session = () => ({ ...sessionOf('a1'), refreshToken: 'r1' })

test('an answer without a refresh token keeps the one the session had', async () => {
  const { session: next } = await refreshWithAnswer(session(), {
    access_token: 'a2',
    token_type: 'Bearer',
    expires_in: 300,
  })
  assert.equal(next.refreshToken, 'r1')
})

test('without expires_in, an ID token whose exp is just past (within the tolerance) still gives a minute', async () => {
  const idToken = await sign(
    { iss: issuer, aud: 'spa', sub: 'alice', iat: now - 600, exp: now - 30 },
    key,
  )
  const { session: next } = await refreshWithAnswer(session(), {
    access_token: 'a2',
    token_type: 'Bearer',
    id_token: idToken,
  })
  assert.ok(next.expiresAt >= now + 60, `expires ${next.expiresAt - now} s from now`)
})

test('with DPoP on, a session without a key is not refreshed as Bearer: login_required, no request', async () => {
  let requests = 0
  const refresh = refreshWithAnswer(session(), {}, undefined, {
    fetch: (async () => (requests++, Response.json({}))) as typeof fetch,
    dpop: {} as Dpop,
  })
  await rejectsWith(refresh, 'login_required')
  assert.equal(requests, 0)
})

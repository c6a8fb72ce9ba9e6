// A refreshed ID token that cannot be verified when it comes (keys out of reach, or an `iat` ahead
// of this clock) is kept pending, and then must pass every check a refresh makes, as of when it
// came and with the access token it came with: a review found it accepted on signature, `iss`,
// `aud` and `sub` alone.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { OidcError } from '../../src/errors.js'
import type { KeyResolver } from '../../src/id-token.js'
import { renewSession } from '../../src/renew.js'
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
import { rejectsWith, sign } from './helpers.js'

before(signIdToken)

const unreachable: KeyResolver = async () => {
  throw new OidcError('jwks_error', 'keys out of reach')
}

const refreshWith = (idToken: string, resolveKey?: KeyResolver) =>
  refreshWithAnswer(
    { ...sessionOf('a1'), refreshToken: 'r1' },
    {
      access_token: 'a2',
      token_type: 'Bearer',
      id_token: idToken,
      refresh_token: 'r2',
      expires_in: 300,
    },
    resolveKey,
  )

const idTokenWith = (payload: Record<string, unknown>) =>
  sign({ iss: issuer, aud: 'spa', sub: 'alice', ...payload }, key)

/** A tab holding what the refresh left, pending token included, that asks for a token next. */
async function nextChance(refreshed: Awaited<ReturnType<typeof refreshWith>>) {
  const a = origin().tab()
  const any = { generation: 'any', record: 'any' } as const
  await a.core.commit(any, { session: refreshed.session, claims, store: 'put' })
  const outcome = await renewSession(a.ctx).then(
    () => 'served',
    (error: OidcError) => `${error.code}/${error.reason}`,
  )
  return { outcome, a }
}

for (const [name, payload, reason] of [
  ['a wrong at_hash', { iat: now, exp: now + 600, at_hash: 'not-the-hash-of-a2' }, 'at_hash'],
  ['an exp already past when it came', { iat: now - 7200, exp: now - 3600 }, 'exp'],
  ['no iat and no exp', {}, 'exp'],
] as const)
  test(`a refreshed ID token with ${name}, pending for want of keys, ends the session once checked`, async () => {
    const bad = await idTokenWith(payload)
    await rejectsWith(refreshWith(bad), 'id_token_invalid')
    const refreshed = await refreshWith(bad, unreachable)
    assert.equal(refreshed.session.pendingIdToken, bad)
    assert.equal(refreshed.session.idToken, idToken, 'the verified one stays, for restores')
    const { outcome, a } = await nextChance(refreshed)
    assert.equal(outcome, `id_token_invalid/${reason}`)
    assert.equal(a.core.state().status, 'signedOut')
  })

for (const [name, payload, reason] of [
  ['no iat', { exp: now + 600 }, 'iat'],
  ['an iat that is a string', { iat: 'yesterday', exp: now + 600 }, 'iat'],
  ['an iat ahead and a wrong at_hash', { iat: now + 600, exp: now + 900, at_hash: 'x' }, 'at_hash'],
] as const)
  test(`a refreshed ID token with ${name} is no clock behind: it really fails`, async () => {
    await rejectsWith(refreshWith(await idTokenWith(payload)), 'id_token_invalid', reason)
  })

test('a refreshed ID token ahead of this clock waits until it is not, then is taken', async () => {
  const ahead = await idTokenWith({ iat: now + 3600, nbf: now + 3600, exp: now + 7200 })
  const refreshed = await refreshWith(ahead)
  assert.equal(refreshed.pending?.code, 'jwks_error')
  const { outcome, a } = await nextChance(refreshed)
  assert.equal(outcome, 'served')
  assert.equal(a.core.state().status, 'signedIn')
  assert.equal(a.core.held().session?.pendingIdToken, ahead, 'still pending, the old claims kept')
})

test('a refresh without an ID token drops a pending one, which came with another access token', async () => {
  const ahead = await idTokenWith({ iat: now + 3600, exp: now + 7200 })
  const refreshed = await refreshWith(ahead)
  const next = await refreshWithAnswer(
    { ...refreshed.session, refreshToken: 'r2' },
    { access_token: 'a3', token_type: 'Bearer', expires_in: 300 },
  )
  assert.equal(next.session.pendingIdToken, undefined)
  assert.equal(next.claims, claims)
})

test('a pending ID token whose keys are still out of reach keeps the session, and stays pending', async () => {
  const good = await idTokenWith({ iat: now, exp: now + 600 })
  const refreshed = await refreshWith(good, unreachable)
  const a = origin().tab(unreachable)
  const any = { generation: 'any', record: 'any' } as const
  await a.core.commit(any, { session: refreshed.session, claims, store: 'put' })
  assert.equal(await renewSession(a.ctx).then((session) => session.accessToken), 'a2')
  assert.equal(a.core.state().status, 'signedIn')
  assert.equal(a.core.held().session?.pendingIdToken, good)
})

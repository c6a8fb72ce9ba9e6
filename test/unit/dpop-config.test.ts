import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { validateConfig } from '../../src/config.js'
import { createAuthorizationRequest, toLoginTransaction } from '../../src/login.js'
import { createSession, toSession } from '../../src/session.js'
import { isDpopKeyPair } from '../../src/dpop-binding.js'
import { dpop } from '../../src/dpop.js'
import { rejectsWith, throwsWith } from './helpers.js'

// DPoP as configuration and as state: the option checks, and the key a login makes and a
// session keeps. The proofs and their requests are in dpop.test.ts.
const signer = dpop()

describe('DPoP options', () => {
  const valid = {
    issuer: 'https://id.example.com',
    clientId: 'spa',
    redirectUri: 'https://app.example.com/cb',
  }
  const rejects = (change: Record<string, unknown>) =>
    throwsWith(() => validateConfig({ ...valid, ...change } as never), 'invalid_config')
  test('dpop must be what dpop() returns', () => {
    assert.equal(validateConfig({ ...valid, dpop: signer }).dpop, signer)
    rejects({ dpop: true })
    rejects({ dpop: { generateKey() {} } })
    rejects({ dpop: null })
  })
  test('apiOrigins must be origins', () => {
    const { apiOrigins } = validateConfig({ ...valid, apiOrigins: ['https://api.example.com'] })
    assert.deepEqual(apiOrigins, ['https://api.example.com'])
    rejects({ apiOrigins: 'https://api.example.com' })
    rejects({ apiOrigins: ['https://api.example.com/'] })
    rejects({ apiOrigins: ['https://api.example.com/v1'] })
    rejects({ apiOrigins: ['http://api.example.com'] })
    rejects({ apiOrigins: [undefined] })
    rejects({ apiOrigins: [, 'https://api.example.com'] })
  })
})

describe('the DPoP key in the login transaction and the session', () => {
  const config = validateConfig({
    issuer: 'https://id.example.com',
    clientId: 'spa',
    redirectUri: 'https://app.example.com/cb',
    dpop: signer,
  })
  const now = 1_700_000_000
  const endpoint = 'https://id.example.com/authorize'

  test('a login makes a key, sends its thumbprint as dpop_jkt, and keeps it in the transaction', async () => {
    const { url, transaction } = await createAuthorizationRequest(config, endpoint, {}, now)
    assert.ok(isDpopKeyPair(transaction.dpopKey))
    const jkt = new URL(url).searchParams.get('dpop_jkt')
    assert.equal(jkt, await signer.thumbprint(transaction.dpopKey!.publicKey))
    assert.equal(toLoginTransaction(transaction, now), transaction)
    // A key given (the session's, for a renewal) is used instead of a new one, and is not
    // stored with the transaction: a memory tab's session key never goes to IndexedDB.
    const given = await signer.generateKey()
    const renewal = await createAuthorizationRequest(config, endpoint, {}, now, { dpopKey: given })
    assert.equal('dpopKey' in renewal.transaction, false)
    const renewalJkt = new URL(renewal.url).searchParams.get('dpop_jkt')
    assert.equal(renewalJkt, await signer.thumbprint(given.publicKey))
    await rejectsWith(
      createAuthorizationRequest(config, endpoint, { extraParams: { dpop_jkt: 'x' } }, now),
      'invalid_config',
    )
  })

  test('no DPoP, no key and no dpop_jkt', async () => {
    const { dpop: _, ...plain } = config
    const { url, transaction } = await createAuthorizationRequest(plain, endpoint, {}, now)
    assert.equal(new URL(url).searchParams.has('dpop_jkt'), false)
    assert.equal('dpopKey' in transaction, false)
  })

  test('a stored transaction or session whose key is extractable, or no key, is refused', async () => {
    const extractable = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    )
    const { transaction } = await createAuthorizationRequest(config, endpoint, {}, now)
    assert.equal(toLoginTransaction({ ...transaction, dpopKey: extractable }, now), undefined)
    const session = createSession({
      idToken: 'a.b.c',
      accessToken: 'at',
      issuedAt: now,
      expiresAt: now + 60,
      dpopKey: transaction.dpopKey!,
    })
    assert.equal(toSession(session, true), session)
    assert.equal(toSession({ ...session, dpopKey: extractable }, true), undefined)
    assert.equal(toSession({ ...session, dpopKey: { privateKey: 'k' } }, true), undefined)
    // The binding must be the client's: no Bearer session with DPoP on, no bound one without.
    const { dpopKey: _, ...bearer } = session
    assert.equal(toSession(bearer, true), undefined)
    assert.equal(toSession(bearer, false), bearer)
    assert.equal(toSession(session, false), undefined)
  })
})

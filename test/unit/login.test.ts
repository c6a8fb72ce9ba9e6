import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import { validateConfig } from '../../src/config.js'
import { createAuthorizationRequest, toLoginTransaction } from '../../src/login.js'

const config = validateConfig({
  issuer: 'https://id.example.com',
  clientId: 'spa',
  redirectUri: 'https://app.example.com/cb',
  scope: 'profile',
})
const endpoint = 'https://id.example.com/auth?tenant=a'
const now = 1_800_000_000
const request = (options = {}) => createAuthorizationRequest(config, endpoint, options, now)

describe('authorization request', () => {
  test('carries the protocol parameters and an S256 challenge of the verifier', async () => {
    const { url, state, transaction } = await request()
    const params = new URL(url).searchParams
    assert.equal(params.get('tenant'), 'a')
    assert.equal(params.get('response_type'), 'code')
    assert.equal(params.get('client_id'), 'spa')
    assert.equal(params.get('redirect_uri'), 'https://app.example.com/cb')
    assert.equal(params.get('scope'), 'openid profile')
    assert.equal(params.get('state'), state)
    assert.equal(params.get('nonce'), transaction.nonce)
    assert.equal(params.get('code_challenge_method'), 'S256')
    const expected = createHash('sha256').update(transaction.codeVerifier).digest('base64url')
    assert.equal(params.get('code_challenge'), expected)
  })
  test('state, nonce and verifier are 32 random bytes, base64url, all different', async () => {
    const { state, transaction } = await request()
    for (const value of [state, transaction.nonce, transaction.codeVerifier])
      assert.match(value, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(new Set([state, transaction.nonce, transaction.codeVerifier]).size, 3)
    assert.notEqual((await request()).state, state)
  })
  test('login options become parameters', async () => {
    const { url, transaction } = await request({
      prompt: 'login',
      loginHint: 'ann',
      maxAge: 0,
      uiLocales: 'nl',
      acrValues: 'mfa',
      returnTo: '/account',
      extraParams: { audience: 'api' },
    })
    const params = new URL(url).searchParams
    assert.deepEqual(
      ['prompt', 'login_hint', 'max_age', 'ui_locales', 'acr_values', 'audience'].map((name) =>
        params.get(name),
      ),
      ['login', 'ann', '0', 'nl', 'mfa', 'api'],
    )
    assert.equal(transaction.returnTo, '/account')
    assert.equal(transaction.maxAge, 0)
  })
  for (const name of [
    'state',
    'nonce',
    'code_challenge',
    'redirect_uri',
    'client_id',
    'response_type',
    'scope',
  ]) {
    test(`extraParams cannot override ${name}`, async () => {
      await assert.rejects(request({ extraParams: { [name]: 'x' } }), { code: 'invalid_config' })
    })
  }
  test('a transaction older than 10 minutes is refused', async () => {
    const { transaction } = await request()
    assert.ok(toLoginTransaction(transaction, now + 600))
    assert.equal(toLoginTransaction(transaction, now + 601), undefined)
    // One made "in the future" would never grow old: past a minute of clock skew, it is refused.
    assert.ok(toLoginTransaction({ ...transaction, createdAt: now + 60 }, now))
    assert.equal(toLoginTransaction({ ...transaction, createdAt: now + 61 }, now), undefined)
    assert.equal(toLoginTransaction({ ...transaction, nonce: 1 }, now), undefined)
    assert.equal(toLoginTransaction(undefined, now), undefined)
  })
  test('option types are checked', async () => {
    await assert.rejects(request({ prompt: 1 }), { code: 'invalid_config' })
    await assert.rejects(request({ maxAge: -1 }), { code: 'invalid_config' })
    await assert.rejects(request({ extraParams: { a: 1 } }), { code: 'invalid_config' })
    await assert.rejects(request({ extraParams: 'a=1' }), { code: 'invalid_config' })
    await assert.rejects(request({ returnTo: 42 }), { code: 'invalid_config' })
    await assert.rejects(request(null as never), { code: 'invalid_config' })
  })
})

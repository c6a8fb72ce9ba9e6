import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fetchToken, isRefusal, validateTokenResponse } from '../../src/token-endpoint.js'
import { isOidcError } from '../../src/errors.js'
import { rejectsWith, throwsWith } from './helpers.js'

const good = {
  access_token: 'at',
  token_type: 'Bearer',
  id_token: 'a.b.c',
  expires_in: 300,
  refresh_token: 'rt',
  scope: 'openid',
}
const rejects = (body: unknown) =>
  throwsWith(() => validateTokenResponse(body, { requireIdToken: true }), 'token_error')

/** A fetch as a page would get it; the seam of the `fetch` option. */
const answer = (status: number, body: string) => async () =>
  new Response(body, { status, headers: { 'content-type': 'application/json' } })

describe('token response (SPEC rule 4)', () => {
  test('a complete response', () =>
    assert.deepEqual(validateTokenResponse(good, { requireIdToken: true }), good))
  test('token_type is case-insensitive Bearer or DPoP', () => {
    validateTokenResponse({ ...good, token_type: 'bearer' }, { requireIdToken: true })
    validateTokenResponse({ ...good, token_type: 'DPoP' }, { requireIdToken: true })
    rejects({ ...good, token_type: 'mac' })
    rejects({ ...good, token_type: 'Bearerx' })
    rejects({ ...good, token_type: 'xDPoP' })
  })
  test('no access_token', () => rejects({ ...good, access_token: undefined }))
  test('an empty access_token', () => rejects({ ...good, access_token: '' }))
  test('a token that a header cannot carry (RFC 6749 A.12: VSCHAR), never repeated in the message', () => {
    for (const bad of ['secret\nX', 'secret\r', 'secret\u0100', 'secret\u007f', 'secret\u0000'])
      for (const field of ['access_token', 'refresh_token'])
        assert.throws(
          () => validateTokenResponse({ ...good, [field]: bad }, { requireIdToken: true }),
          (error: unknown) =>
            isOidcError(error) && error.code === 'token_error' && !/secret/.test(error.message),
        )
    validateTokenResponse({ ...good, access_token: ' !~' }, { requireIdToken: true })
  })
  test('a negative expires_in', () => rejects({ ...good, expires_in: -1 }))
  test('no id_token', () => rejects({ ...good, id_token: undefined }))
  test('wrong types', () => {
    rejects({ ...good, access_token: 1 })
    rejects({ ...good, id_token: {} })
    rejects({ ...good, expires_in: '300' })
    rejects({ ...good, refresh_token: 5 })
    rejects({ ...good, scope: ['openid'] })
  })
  test('not an object', () => {
    rejects([good])
    rejects(null)
  })
  test('a refresh response may omit the id_token', () => {
    assert.equal(
      validateTokenResponse({ ...good, id_token: undefined }, { requireIdToken: false }).id_token,
      undefined,
    )
  })
})

describe('token request', () => {
  test('posts a plain form with the grant', async () => {
    let seen: { url: string; init: RequestInit } | undefined
    const fetchFn = (async (url: string, init: RequestInit) => {
      seen = { url, init }
      return new Response(JSON.stringify(good), { status: 200 })
    }) as typeof fetch
    await fetchToken(
      fetchFn,
      'https://id.example.com/token',
      { grant_type: 'authorization_code', code: 'c' },
      { requireIdToken: true },
    )
    assert.equal(seen?.init.method, 'POST')
    assert.equal(seen?.init.headers, undefined, 'no extra header, so no CORS preflight')
    assert.equal(String(seen?.init.body), 'grant_type=authorization_code&code=c')
  })
  test('an error status keeps the provider error only', async () => {
    const body = JSON.stringify({
      error: 'invalid_grant',
      error_description: 'gone',
      echo: 'secret-token',
    })
    await assert.rejects(
      fetchToken(answer(400, body) as typeof fetch, 'https://t', {}, { requireIdToken: true }),
      (error) => {
        assert.ok(isOidcError(error))
        assert.equal(error.code, 'token_error')
        assert.equal(error.error, 'invalid_grant')
        assert.equal(error.errorDescription, 'gone')
        assert.ok(!JSON.stringify({ ...error, message: error.message }).includes('secret-token'))
        return true
      },
    )
  })
  test('a body that is not JSON', () =>
    rejectsWith(
      fetchToken(answer(200, '<html>') as typeof fetch, 'https://t', {}, { requireIdToken: true }),
      'token_error',
    ))
  test('a network failure', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch')
    }) as typeof fetch
    await rejectsWith(fetchToken(failing, 'https://t', {}, { requireIdToken: true }), 'token_error')
  })
})

describe('which answers refuse the grant for good (SPEC: session invariants)', () => {
  const outcome = async (status: number, body: string) => {
    const error = await fetchToken(
      answer(status, body),
      'https://id.example.com/token',
      {},
      {
        requireIdToken: false,
      },
    ).catch((error: unknown) => error)
    assert.ok(isOidcError(error) && error.code === 'token_error', `${status} ${body}`)
    return isRefusal(error) ? 'refused' : 'transient'
  }
  const error = (name: string) => JSON.stringify({ error: name })
  for (const name of ['invalid_grant', 'invalid_client', 'unauthorized_client'])
    test(`${name} is a refusal`, async () =>
      assert.equal(await outcome(400, error(name)), 'refused'))
  test('400 or 401 with no readable error is a refusal', async () => {
    assert.equal(await outcome(400, ''), 'refused')
    assert.equal(await outcome(401, '<html>no</html>'), 'refused')
  })
  test('use_dpop_nonce, invalid_dpop_proof, other errors, 5xx and 429 are transient', async () => {
    for (const name of ['use_dpop_nonce', 'invalid_dpop_proof', 'invalid_request'])
      assert.equal(await outcome(400, error(name)), 'transient', name)
    assert.equal(await outcome(503, ''), 'transient')
    assert.equal(await outcome(429, error('slow_down')), 'transient')
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isCallbackUrl, readCallbackUrl, stripCallbackParameters } from '../../src/callback.js'
import { throwsWith } from './helpers.js'

const redirectUri = 'https://app.example.com/cb'

describe('callback URL (SPEC rule 1)', () => {
  test('isCallback wants the redirect URI with state and code or error', () => {
    assert.equal(isCallbackUrl(`${redirectUri}?code=c&state=s`, redirectUri), true)
    assert.equal(isCallbackUrl(`${redirectUri}?error=access_denied&state=s`, redirectUri), true)
    assert.equal(isCallbackUrl(`${redirectUri}?code=c`, redirectUri), false)
    assert.equal(isCallbackUrl(`https://app.example.com/other?code=c&state=s`, redirectUri), false)
    assert.equal(isCallbackUrl(`https://evil.example.com/cb?code=c&state=s`, redirectUri), false)
    assert.equal(isCallbackUrl('not a url', redirectUri), false)
  })
  test('reads the response parameters', () => {
    const { state, params } = readCallbackUrl(`${redirectUri}?code=c&state=s&iss=x`, redirectUri)
    assert.equal(state, 's')
    assert.equal(params.get('code'), 'c')
  })
  test('a repeated state is invalid_callback', () =>
    throwsWith(
      () => readCallbackUrl(`${redirectUri}?code=c&state=s&state=t`, redirectUri),
      'invalid_callback',
    ))
  test('a repeated code is invalid_callback', () =>
    throwsWith(
      () => readCallbackUrl(`${redirectUri}?code=c&code=d&state=s`, redirectUri),
      'invalid_callback',
    ))
  test('a repeated iss is invalid_callback', () =>
    throwsWith(
      () => readCallbackUrl(`${redirectUri}?code=c&state=s&iss=a&iss=b`, redirectUri),
      'invalid_callback',
    ))
  test('no state is invalid_callback', () =>
    throwsWith(() => readCallbackUrl(`${redirectUri}?code=c`, redirectUri), 'invalid_callback'))
  test('an empty state is invalid_callback', () =>
    throwsWith(
      () => readCallbackUrl(`${redirectUri}?code=c&state=`, redirectUri),
      'invalid_callback',
    ))
  test('another URL is invalid_callback', () =>
    throwsWith(
      () => readCallbackUrl('https://app.example.com/x?code=c&state=s', redirectUri),
      'invalid_callback',
    ))
  test('the redirect URI own query is not a response parameter', () => {
    const own = `${redirectUri}?tenant=a`
    assert.equal(readCallbackUrl(`${own}&code=c&state=s`, own).params.has('tenant'), false)
  })
  test('stripping removes the response and keeps the rest', () => {
    const url = `${redirectUri}?keep=1&code=c&state=s&iss=i&error=e&error_description=d&error_uri=u&session_state=x#frag`
    assert.equal(stripCallbackParameters(url), `${redirectUri}?keep=1#frag`)
  })
})

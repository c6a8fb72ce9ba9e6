import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { validateConfig, type OidcClientOptions } from '../../src/config.js'
import { throwsWith } from './helpers.js'

const valid: OidcClientOptions = {
  issuer: 'https://id.example.com',
  clientId: 'spa',
  redirectUri: 'https://app.example.com/cb',
}
const rejects = (change: Record<string, unknown>) =>
  throwsWith(() => validateConfig({ ...valid, ...change } as OidcClientOptions), 'invalid_config')

describe('config', () => {
  test('defaults', () => {
    const config = validateConfig(valid)
    assert.equal(config.scope, 'openid')
    assert.equal(config.clockTolerance, 60)
    assert.equal(config.persist, 'indexeddb')
    assert.equal(typeof config.fetch, 'function')
  })
  test('openid is always in the scope, once and first', () => {
    assert.equal(
      validateConfig({ ...valid, scope: 'profile openid  email' }).scope,
      'openid profile email',
    )
  })
  for (const name of ['issuer', 'clientId', 'redirectUri']) {
    test(`missing ${name} is invalid_config`, () => rejects({ [name]: undefined }))
  }
  test('a relative redirectUri is invalid_config', () => rejects({ redirectUri: '/cb' }))
  test('http issuer off loopback is invalid_config', () =>
    rejects({ issuer: 'http://id.example.com' }))
  test('http redirectUri off loopback is invalid_config', () =>
    rejects({ redirectUri: 'http://app.example.com/cb' }))
  for (const host of ['localhost', '127.0.0.1', '[::1]']) {
    test(`http on ${host} is allowed`, () => {
      validateConfig({
        ...valid,
        issuer: `http://${host}:3000`,
        redirectUri: `http://${host}:8080/cb`,
      })
    })
  }
  test('a look-alike loopback host is refused', () =>
    rejects({ issuer: 'http://127.0.0.1.evil.example' }))
  test('javascript: redirectUri is invalid_config', () =>
    rejects({ redirectUri: 'javascript:alert(1)' }))
  test('a redirectUri with a fragment is invalid_config, an empty one too', () => {
    rejects({ redirectUri: 'https://app.example.com/cb#x' })
    rejects({ redirectUri: 'https://app.example.com/cb#' })
    rejects({ postLogoutRedirectUri: 'https://app.example.com/#' })
  })
  test('scope must be a string', () => rejects({ scope: ['openid'] }))
  test('clockToleranceSeconds must be a whole number of seconds from 0 to 600', () => {
    rejects({ clockToleranceSeconds: -1 })
    rejects({ clockToleranceSeconds: 1.5 })
    rejects({ clockToleranceSeconds: '60' })
    rejects({ clockToleranceSeconds: 601 })
    assert.equal(validateConfig({ ...valid, clockToleranceSeconds: 600 }).clockTolerance, 600)
  })
  test('maxAge must be a whole non-negative number of seconds', () => {
    rejects({ maxAge: 'soon' })
    rejects({ maxAge: -1 })
    rejects({ maxAge: 1.5 })
  })
  for (const [name, fallback] of [
    ['popupTimeoutSeconds', 300],
    ['silentTimeoutSeconds', 10],
  ] as const) {
    const field = name === 'popupTimeoutSeconds' ? 'popupTimeout' : 'silentTimeout'
    test(`${name} must be whole seconds from 1 to 600, a login's lifetime (default ${fallback})`, () => {
      for (const value of [0, -1, 1.5, '10', null, 601]) rejects({ [name]: value })
      assert.equal(validateConfig(valid)[field], fallback)
      assert.equal(validateConfig({ ...valid, [name]: 1 })[field], 1)
      assert.equal(validateConfig({ ...valid, [name]: 600 })[field], 600)
    })
  }
  test('persist must be indexeddb or memory', () => rejects({ persist: 'localStorage' }))
  test('fetch must be a function', () => rejects({ fetch: 'fetch' }))
  test('postLogoutRedirectUri must be a secure URL', () =>
    rejects({ postLogoutRedirectUri: 'http://app.example.com/' }))
  test('static metadata is checked like discovery', () => {
    rejects({
      metadata: {
        issuer: 'https://other.example.com',
        authorization_endpoint: 'https://a',
        token_endpoint: 'https://t',
        jwks_uri: 'https://j',
      },
    })
  })
  test('options must be an object', () => {
    throwsWith(() => validateConfig(null as unknown as OidcClientOptions), 'invalid_config')
    throwsWith(
      () => validateConfig('https://id.example.com' as unknown as OidcClientOptions),
      'invalid_config',
    )
  })
  test('an issuer with a query is invalid_config, an empty one too', () => {
    rejects({ issuer: 'https://id.example.com/?tenant=a' })
    rejects({ issuer: 'https://id.example.com?' })
    rejects({ issuer: 'https://id.example.com#' })
  })
  test('a valid maxAge and tolerance are kept', () => {
    const config = validateConfig({ ...valid, maxAge: 0, clockToleranceSeconds: 0 })
    assert.equal(config.maxAge, 0)
    assert.equal(config.clockTolerance, 0)
  })
  test('the error names the option', () => {
    assert.throws(() => validateConfig({ ...valid, clientId: '' }), /clientId/)
  })
})

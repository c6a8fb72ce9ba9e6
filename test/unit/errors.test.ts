import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OidcError, idTokenInvalid, isOidcError } from '../../src/errors.js'

test('an OidcError carries the fields given, and no empty ones (an undefined cause is none)', () => {
  const full = new OidcError('token_error', 'm', {
    error: 'invalid_grant',
    errorDescription: 'd',
    cause: new Error('c'),
  })
  assert.deepEqual(
    [full.code, full.error, full.errorDescription],
    ['token_error', 'invalid_grant', 'd'],
  )
  assert.equal((full.cause as Error).message, 'c')
  const empty = new OidcError('token_error', 'm', { error: undefined, cause: undefined })
  for (const name of ['reason', 'error', 'errorDescription', 'cause'])
    assert.equal(Object.hasOwn(empty, name), false, name)
  const invalid = idTokenInvalid('exp', 'm')
  assert.equal(invalid.reason, 'exp')
  assert.equal(Object.hasOwn(invalid, 'cause'), false)
  assert.equal(isOidcError(invalid), true)
})

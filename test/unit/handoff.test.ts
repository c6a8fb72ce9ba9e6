import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHandoffUrl } from '../../src/handoff.js'

test('isHandoffUrl reads the decoded state: a popup or silent mark, percent-encoded or not', () => {
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc.p'), true)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc%2Es'), true)
  assert.equal(isHandoffUrl('https://app.example/cb?state=abc.p&code=c#x'), true)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc'), false)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&state=abc.pp'), false)
  assert.equal(isHandoffUrl('https://app.example/cb?code=c&other=x.p'), false)
  assert.equal(isHandoffUrl('not a url'), false)
})

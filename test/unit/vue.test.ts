import assert from 'node:assert/strict'
import { test } from 'node:test'
import { effectScope, isReadonly, watch } from 'vue'
import { createAuthState } from '../../src/auth-state.js'
import { validateStoredIdToken } from '../../src/id-token.js'
import { useAuth } from '../../src/vue.js'
import { makeKey, resolverOf, sign } from './helpers.js'

test('vue useAuth follows the store, is read-only, and unsubscribes when its scope ends', async () => {
  const store = createAuthState(() => {})
  let listeners = 0
  const client = {
    getState: store.get,
    subscribe: (listener: Parameters<typeof store.subscribe>[0]) => {
      listeners++
      const unsubscribe = store.subscribe(listener)
      return () => {
        listeners--
        unsubscribe()
      }
    },
  }
  const scope = effectScope()
  const auth = scope.run(() => useAuth(client))!
  assert.equal(auth.value.status, 'initializing')
  assert.ok(isReadonly(auth))
  const seen: string[] = []
  scope.run(() => watch(auth, (state) => seen.push(state.status), { flush: 'sync' }))

  const key = await makeKey('ES256')
  const token = await sign({ iss: 'https://i', aud: 'c', sub: 'u', exp: 1, iat: 1 }, key)
  const claims = await validateStoredIdToken(token, {
    issuer: 'https://i',
    clientId: 'c',
    algorithms: ['ES256'],
    resolveKey: resolverOf([key.jwk]),
  })
  store.setSignedIn(claims, 100)
  assert.equal(auth.value, store.get(), 'the same snapshot object, not a copy')
  assert.deepEqual(seen, ['signedIn'])

  assert.equal(listeners, 1)
  scope.stop()
  assert.equal(listeners, 0, 'unsubscribed on scope dispose')
  store.setSignedOut()
  assert.equal(auth.value.status, 'signedIn', 'no longer follows')
})

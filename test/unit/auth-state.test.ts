import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createAuthState, type AuthEventType } from '../../src/auth-state.js'
import { OidcError } from '../../src/errors.js'
import { validateStoredIdToken } from '../../src/id-token.js'
import { makeKey, resolverOf, sign } from './helpers.js'

async function validatedClaims(sub = 'u') {
  const key = await makeKey('ES256')
  const token = await sign({ iss: 'https://i', aud: 'c', sub, exp: 1, iat: 1 }, key)
  return validateStoredIdToken(token, {
    issuer: 'https://i',
    clientId: 'c',
    algorithms: ['ES256'],
    resolveKey: resolverOf([key.jwk]),
  })
}

function recordingStore() {
  const events: AuthEventType[] = []
  const store = createAuthState((type) => events.push(type))
  return { store, events }
}

describe('auth state', () => {
  test('starts initializing; the snapshot is the same object until a change', () => {
    const { store } = recordingStore()
    assert.equal(store.get().status, 'initializing')
    assert.equal(store.get(), store.get())
    assert.ok(Object.isFrozen(store.get()))
  })
  test('claims that did not come out of a validator are refused', () => {
    const { store } = recordingStore()
    const forged = Object.freeze({ iss: 'https://i', aud: 'c', sub: 'admin', exp: 1, iat: 1 })
    assert.throws(() => store.setSignedIn(forged, 1), TypeError)
    assert.equal(store.get().status, 'initializing')
  })
  test('events are derived from transitions', async () => {
    const { store, events } = recordingStore()
    const claims = await validatedClaims()
    store.setSignedOut()
    store.setSignedIn(claims, 100)
    store.setSignedIn(claims, 200)
    store.setSignedOut()
    store.setSignedOut(new OidcError('login_required', 'x'))
    assert.deepEqual(events, [
      'change',
      'signedin',
      'change',
      'refreshed',
      'change',
      'signedout',
      'change',
      'error',
      'change',
    ])
  })
  test("another user's session replacing the held one is a sign-in, not a refresh", async () => {
    const { store, events } = recordingStore()
    store.setSignedIn(await validatedClaims('alice'), 100)
    store.setSignedIn(await validatedClaims('alice'), 200)
    store.setSignedIn(await validatedClaims('bob'), 300)
    assert.deepEqual(events, ['signedin', 'change', 'refreshed', 'change', 'signedin', 'change'])
  })
  test('signing out twice without an error changes nothing', () => {
    const { store, events } = recordingStore()
    store.setSignedOut()
    const snapshot = store.get()
    store.setSignedOut()
    assert.equal(store.get(), snapshot)
    assert.equal(events.length, 1)
  })
  test('a listener that throws stops neither the others nor the events; its error is thrown apart', () => {
    const { store, events } = recordingStore()
    const seen: string[] = []
    const thrown: unknown[] = []
    const queue = globalThis.queueMicrotask
    globalThis.queueMicrotask = (task) => {
      try {
        task()
      } catch (error) {
        thrown.push(error)
      }
    }
    try {
      store.subscribe(() => {
        throw new Error('a bug in the app')
      })
      store.subscribe((state) => seen.push(state.status))
      store.setSignedOut(new OidcError('login_required', 'x'))
    } finally {
      globalThis.queueMicrotask = queue
    }
    assert.deepEqual(seen, ['signedOut'])
    assert.deepEqual(events, ['error', 'change'])
    assert.equal((thrown[0] as Error)?.message, 'a bug in the app')
  })
  test('an unsubscribed listener is not called', () => {
    const { store } = recordingStore()
    const seen: string[] = []
    const unsubscribe = store.subscribe((state) => seen.push(state.status))
    store.setSignedOut()
    unsubscribe()
    store.setSignedOut(new OidcError('storage_error', 'x'))
    assert.deepEqual(seen, ['signedOut'])
  })
})

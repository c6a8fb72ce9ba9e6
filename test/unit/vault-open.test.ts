// A database open that fails (a backing store that hiccuped) is tried again at the next call,
// not remembered until a reload. Only indexedDB.open is stood in for: its request fails. The
// vault itself runs against real IndexedDB in the browser tests.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createIdbVault } from '../../src/vault.js'
import { rejectsWith } from './helpers.js'

test('a failed open is tried again at the next call', async () => {
  let opens = 0
  const open = () => {
    opens++
    const request: { error?: unknown; onerror?: () => void } = {}
    setTimeout(() => {
      request.error = new DOMException('Internal error opening backing store', 'UnknownError')
      request.onerror?.()
    })
    return request
  }
  Object.assign(globalThis, { indexedDB: { open } })
  try {
    const vault = createIdbVault('ns')
    await rejectsWith(vault.get('session'), 'storage_error')
    await rejectsWith(vault.set('session', {}), 'storage_error')
    assert.equal(opens, 2, 'each call opened the database again')
  } finally {
    delete (globalThis as { indexedDB?: unknown }).indexedDB
  }
})

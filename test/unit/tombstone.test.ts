// The token-free marks in localStorage that end a stored session IndexedDB would not delete.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTombstone } from '../../src/tombstone.js'
import { mapStorage } from './helpers.js'

const at = 1_800_000_000
const session = (id: string, issuedAt = at) => ({ id, issuedAt })

test("a logout's mark ends what was issued up to it; another ending's, its record only", () => {
  const items = new Map<string, string>()
  const marks = createTombstone('ns', () => mapStorage(items))
  assert.equal(marks.covers(session('a')), false)
  assert.equal(marks.value(), null)
  marks.set(at * 1000)
  const logout = marks.value()
  assert.ok(logout)
  assert.equal(marks.covers(session('a')), true, 'issued in the second of the logout')
  assert.equal(marks.covers(session('b', at + 1)), false, 'issued after it')
  marks.clear()
  marks.end('a')
  assert.equal(marks.covers(session('a', at + 9)), true)
  assert.equal(marks.covers(session('b', at - 9)), false)
  for (let n = 0; n < 7; n++) marks.end(`later${n}`)
  assert.equal(marks.covers(session('a')), true, 'the last 8 ended records are kept')
  marks.end('later7')
  assert.equal(marks.covers(session('a')), false)
  marks.clear()
  assert.equal(marks.value(), logout, 'neither endings nor a login change which logout was last')
  assert.deepEqual([...items.keys()], ['oidc-browsernslastlogout'])
  marks.set(at * 1000)
  assert.notEqual(marks.value(), logout, 'each logout changes it, even at the same time')
})

test('marks that cannot be read or written end nothing and throw nothing', () => {
  const items = new Map([['oidc-browser' + 'ns' + 'ended', '{not json']])
  assert.equal(createTombstone('ns', () => mapStorage(items)).covers(session('a')), false)
  const refusing = createTombstone('ns', () => {
    throw new DOMException('denied', 'SecurityError')
  })
  assert.equal(refusing.set(at), undefined)
  assert.equal(refusing.end('a'), undefined)
  assert.equal(refusing.covers(session('a')), false)
})

test("another tab's mark of either kind calls the listener; other keys and removals do not", () => {
  const listeners = new Set<(event: Partial<StorageEvent>) => void>()
  Object.assign(globalThis, {
    addEventListener: (_: string, listener: never) => listeners.add(listener),
    removeEventListener: (_: string, listener: never) => listeners.delete(listener),
  })
  try {
    let heard = 0
    const stop = createTombstone('ns', () => mapStorage(new Map())).watch(() => heard++)
    const storage = (key: string, newValue: string | null) =>
      listeners.forEach((listener) => listener({ key, newValue }))
    storage('oidc-browsernslogout', String(at))
    storage('oidc-browsernsended', '["a"]')
    storage('oidc-browsernsended', null)
    storage('oidc-browserotherlogout', String(at))
    assert.equal(heard, 2)
    stop()
    assert.equal(listeners.size, 0)
  } finally {
    delete (globalThis as { addEventListener?: unknown }).addEventListener
    delete (globalThis as { removeEventListener?: unknown }).removeEventListener
  }
})

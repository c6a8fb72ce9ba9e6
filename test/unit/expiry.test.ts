// The expiry timers fire by the wall clock, which the renewal's "is it due" check reads: timers run
// on a clock of their own, and a wall clock behind it (slewed, or set back) made `expiring` fire
// while the check still said "not due", and nothing renewed (a review found it).
import assert from 'node:assert/strict'
import { afterEach, mock, test } from 'node:test'
import { createExpiryTimers } from '../../src/expiry.js'
import { createSession, expiringAt } from '../../src/session.js'

const realNow = Date.now
afterEach(() => {
  mock.timers.reset()
  Date.now = realNow
})

test('expiring fires once the wall clock has reached the expiring point, even when it lags the timers', () => {
  // Timers on the mocked clock; the wall clock set by the test.
  mock.timers.enable({ apis: ['setTimeout'] })
  const start = 1_800_000_000_000
  let wall = start
  Date.now = () => wall
  const issuedAt = start / 1000
  const session = createSession({
    idToken: 'i',
    accessToken: 'a',
    issuedAt,
    expiresAt: issuedAt + 600,
  })
  const due = expiringAt(session) * 1000
  const seen: number[] = []
  const timers = createExpiryTimers({
    onExpiring: () => seen.push(Date.now()),
    onExpired: () => {},
  })
  timers.schedule(session)
  // The timers reach the expiring point with the wall clock 30 ms behind.
  wall = due - 30
  mock.timers.tick(due - start)
  assert.deepEqual(seen, [], 'not yet by the wall clock')
  wall = due
  mock.timers.tick(30)
  assert.deepEqual(seen, [due])
  timers.schedule(undefined)
})

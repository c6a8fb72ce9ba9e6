import { expiringAt, type Session } from './session.js'

// setTimeout cannot wait longer than 2^31 - 1 ms.
const maxTimerDelay = 2 ** 31 - 1

/**
 * Timers for the held access token: `onExpiring` when it starts expiring, `onExpired` at its
 * expiry. Each `schedule()` replaces the previous timers; `schedule(undefined)` clears them.
 */
export function createExpiryTimers({
  onExpiring,
  onExpired,
}: {
  onExpiring: () => void
  onExpired: () => void
}) {
  let timers: ReturnType<typeof setTimeout>[] = []

  function schedule(session: Session | undefined) {
    for (const timer of timers) clearTimeout(timer)
    timers = []
    if (!session) return
    const at = (epoch: number, task: () => void) => {
      const delay = epoch * 1000 - Date.now()
      // Too far off for one timer: look again when this one fires.
      if (delay > maxTimerDelay) timers.push(setTimeout(() => schedule(session), maxTimerDelay))
      // Timers run on their own clock, which the wall clock may lag (slewed, or set back): the
      // task runs once the wall clock, which the renewal checks, says it is time.
      else if (delay > 0) timers.push(setTimeout(() => at(epoch, task), delay))
      else timers.push(setTimeout(task, 0))
    }
    at(expiringAt(session), onExpiring)
    at(session.expiresAt, onExpired)
  }

  return { schedule }
}

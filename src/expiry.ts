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
      else timers.push(setTimeout(task, Math.max(0, delay)))
    }
    at(expiringAt(session), onExpiring)
    at(session.expiresAt, onExpired)
  }

  return { schedule }
}

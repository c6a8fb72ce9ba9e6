import type { IdTokenCheck, OidcError, OidcErrorCode } from './errors.js'

/**
 * What tabs tell each other: only that something happened; the receiver reads the vault.
 * `changed`: a session was stored. `ended`: it was refused or failed a check, and why, and which
 * stored record it was (a random id).
 * `logout`: a user signed out, which reaches `persist: 'memory'` tabs too.
 */
export type TabMessage =
  | { type: 'changed' }
  | { type: 'logout' }
  | {
      type: 'ended'
      code?: OidcErrorCode
      reason?: IdTokenCheck | undefined
      record?: string | undefined
    }

const endCodes: unknown[] = ['login_required', 'id_token_invalid']

/** What the other tabs are told when the stored record `record` ended with `error`. */
export const endedMessage = ({ code, reason }: OidcError, record?: string): TabMessage => ({
  type: 'ended',
  code,
  reason,
  record,
})

/**
 * A BroadcastChannel between the tabs of this origin; a no-op where there is none. Messages
 * carry no tokens, and anything of another shape is dropped.
 */
export function createTabChannel(name: string, onMessage: (message: TabMessage) => void) {
  if (typeof BroadcastChannel === 'undefined') return { post: () => {}, close: () => {} }
  const channel = new BroadcastChannel(name)
  channel.onmessage = (event: MessageEvent) => {
    const { type, code, reason, record } = (event.data ?? {}) as Record<string, unknown>
    if (type === 'changed' || type === 'logout') onMessage({ type })
    else if (type === 'ended')
      onMessage(
        endCodes.includes(code)
          ? {
              type,
              code: code as OidcErrorCode,
              reason: typeof reason === 'string' ? (reason as IdTokenCheck) : undefined,
              record: typeof record === 'string' ? record : undefined,
            }
          : { type },
      )
  }
  let open = true
  return {
    post(message: TabMessage) {
      if (open) return channel.postMessage(message)
      // A flow under way when the client closed may still change storage (a refused refresh
      // deletes the session): the other tabs hear of it on a channel opened for that alone.
      const late = new BroadcastChannel(name)
      late.postMessage(message)
      late.close()
    },
    close: () => ((open = false), channel.close()),
  }
}

/**
 * Runs `task` while holding the Web Lock `name`, so that of all tabs only one refreshes at a
 * time and a rotating refresh token is never spent twice. Without Web Locks, runs it as is.
 */
export function withTabLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks
  return locks ? locks.request(name, task) : task()
}

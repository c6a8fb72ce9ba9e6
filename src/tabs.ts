import type { OidcErrorCode } from './errors.js'

/** What tabs tell each other: only that something happened. The receiver reads the vault. */
export interface TabMessage {
  type: 'signedin' | 'refreshed' | 'signedout'
  /** Why a session ended, when it was not a logout. */
  error?: OidcErrorCode
}

/**
 * A BroadcastChannel between the tabs of this origin; a no-op where there is none. Messages
 * carry no tokens.
 */
export function createTabChannel(name: string, onMessage: (message: TabMessage) => void) {
  if (typeof BroadcastChannel === 'undefined') return { post: () => {} }
  const channel = new BroadcastChannel(name)
  channel.onmessage = (event: MessageEvent) => {
    const { type, error } = (event.data ?? {}) as Partial<TabMessage>
    if (type !== 'signedin' && type !== 'refreshed' && type !== 'signedout') return
    onMessage(
      error === 'login_required' || error === 'id_token_invalid' ? { type, error } : { type },
    )
  }
  return { post: (message: TabMessage) => channel.postMessage(message) }
}

/**
 * Runs `task` while holding the Web Lock `name`, so that of all tabs only one refreshes at a
 * time and a rotating refresh token is never spent twice. Without Web Locks, runs it as is.
 */
export function withTabLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks
  return locks ? locks.request(name, task) : task()
}

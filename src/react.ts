import { useSyncExternalStore } from 'react'
import type { AuthState } from './auth-state.js'
import type { OidcClient } from './client.js'

/**
 * The client's auth state in a React component, re-rendering on each change (React 18/19).
 *
 * @example
 * const auth = useAuth(client)
 * return auth.status === 'signedIn' ? <p>Hello {String(auth.claims.name ?? auth.claims.sub)}</p> : <button onClick={() => client.login()}>Log in</button>
 */
export function useAuth(client: Pick<OidcClient, 'subscribe' | 'getState'>): AuthState {
  return useSyncExternalStore(client.subscribe, client.getState, client.getState)
}

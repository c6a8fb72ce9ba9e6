import { getCurrentScope, onScopeDispose, readonly, shallowRef, type ShallowRef } from 'vue'
import type { AuthState } from './auth-state.js'
import type { OidcClient } from './client.js'

/**
 * The client's auth state as a read-only `shallowRef` that follows the store (Vue 3). It stops
 * following when the component or effect scope that called it is disposed.
 *
 * @example
 * const auth = useAuth(client) // in setup(); auth.value.status === 'signedIn'
 */
export function useAuth(
  client: Pick<OidcClient, 'subscribe' | 'getState'>,
): Readonly<ShallowRef<AuthState>> {
  const state = shallowRef(client.getState())
  const unsubscribe = client.subscribe((next) => (state.value = next))
  if (getCurrentScope()) onScopeDispose(unsubscribe)
  return readonly(state) as Readonly<ShallowRef<AuthState>>
}

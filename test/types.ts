// Compiles or fails (tsc -p test): the public types do what the docs say.
import { useSyncExternalStore } from 'react'
import type { ShallowRef } from 'vue'
import {
  OidcClient,
  OidcError,
  isOidcError,
  type AuthState,
  type OidcErrorCode,
} from '../src/index.js'
import { useAuth as useReactAuth } from '../src/react.js'
import { useAuth as useVueAuth } from '../src/vue.js'

declare const client: OidcClient

// AuthState narrows on status.
const state: AuthState = client.getState()
if (state.status === 'signedIn') {
  const sub: string = state.claims.sub
  const expiresAt: number = state.expiresAt
  void [sub, expiresAt]
  // @ts-expect-error claims are read-only
  state.claims.sub = 'x'
} else if (state.status === 'signedOut') {
  const code: OidcErrorCode | undefined = state.error?.code
  void code
  // @ts-expect-error no claims when signed out
  void state.claims
}

// A switch over OidcError codes is exhaustive.
function describe(error: OidcError): string {
  switch (error.code) {
    case 'invalid_config':
    case 'discovery_error':
    case 'invalid_callback':
    case 'issuer_mismatch':
    case 'authorization_error':
    case 'token_error':
    case 'id_token_invalid':
    case 'jwks_error':
    case 'login_required':
    case 'storage_error':
    case 'popup_blocked':
    case 'popup_closed':
    case 'popup_timeout':
    case 'userinfo_error':
      return error.code
    default: {
      const unreachable: never = error.code
      return unreachable
    }
  }
}
declare const caught: unknown
if (isOidcError(caught)) void describe(caught)

// The store plugs into React as it is, and both hooks type-check.
export function useState(): AuthState {
  return useSyncExternalStore(client.subscribe, client.getState)
}
export function useReact(): AuthState {
  return useReactAuth(client)
}
export function useVue(): Readonly<ShallowRef<AuthState>> {
  const auth = useVueAuth(client)
  // @ts-expect-error the ref is read-only
  auth.value = { status: 'initializing' }
  return auth
}

// Events are typed per name: no cast to reach the detail.
client.addEventListener('signedin', (event) => void event.detail.claims.sub)
client.addEventListener('refreshed', (event) => void event.detail.expiresAt)
client.addEventListener('signedout', (event) => void event.detail.error?.code)
// @ts-expect-error a `change` may be to any state: narrow it first
client.addEventListener('change', (event) => void event.detail.claims)
client.addEventListener('error', (event) => {
  const code: OidcErrorCode = event.detail.code
  void code
})
// @ts-expect-error the detail of `error` is the OidcError, not a state
client.addEventListener('error', (event) => void event.detail.status)
// Any other event name still takes a plain listener.
client.addEventListener('custom', (event: Event) => void event.type)
client.close()

import type { OidcError } from './errors.js'
import { isValidatedClaims, type IdTokenClaims } from './id-token.js'

/** What the client knows about the user: a frozen snapshot, replaced on each change. */
export type AuthState =
  | { readonly status: 'initializing' }
  | { readonly status: 'signedOut'; readonly error?: OidcError }
  | {
      readonly status: 'signedIn'
      readonly claims: Readonly<IdTokenClaims>
      /** When the access token expires, epoch seconds. */
      readonly expiresAt: number
    }

export type AuthEventType =
  'signedin' | 'signedout' | 'refreshed' | 'expiring' | 'expired' | 'error' | 'change'

type StateOf<S extends AuthState['status']> = Extract<AuthState, { status: S }>

/**
 * The client's events: `error` carries the `OidcError`, every other one the new state, narrowed
 * where the event says which state it is.
 */
export type AuthEventMap = {
  [K in AuthEventType]: CustomEvent<
    K extends 'error'
      ? OidcError
      : K extends 'signedin' | 'refreshed'
        ? StateOf<'signedIn'>
        : K extends 'signedout'
          ? StateOf<'signedOut'>
          : AuthState
  >
}

export type AuthListener = (state: AuthState) => void

/**
 * The events one transition causes: the single place they are derived, so a restore looks like a
 * login. Another user's session replacing the held one is a sign-in, not a refresh, so that an app
 * that keeps per-user data on `signedin` does not show one user's data to the next.
 */
function eventsOf(previous: AuthState, next: AuthState): AuthEventType[] {
  const events: AuthEventType[] = []
  if (next.status === 'signedIn')
    events.push(
      previous.status === 'signedIn' && previous.claims.sub === next.claims.sub
        ? 'refreshed'
        : 'signedin',
    )
  if (next.status === 'signedOut' && previous.status === 'signedIn') events.push('signedout')
  if (next.status === 'signedOut' && next.error) events.push('error')
  events.push('change')
  return events
}

/**
 * A snapshot store (nanostores-style). Only claims minted by the ID-token validators are
 * accepted; listeners are isolated so one that throws cannot stop the others or the flow.
 */
export function createAuthState(dispatch: (type: AuthEventType, state: AuthState) => void) {
  let state: AuthState = Object.freeze({ status: 'initializing' })
  const listeners = new Set<AuthListener>()

  function transition(next: AuthState) {
    const previous = state
    state = Object.freeze(next)
    for (const listener of [...listeners]) {
      try {
        listener(state)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
    for (const type of eventsOf(previous, state)) dispatch(type, state)
  }

  return {
    get: (): AuthState => state,
    subscribe(listener: AuthListener): () => void {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    setSignedIn(claims: Readonly<IdTokenClaims>, expiresAt: number) {
      // Structural guarantee: claims that did not come out of a validator never get in.
      if (!isValidatedClaims(claims))
        throw new TypeError('only validated ID token claims may enter the auth state')
      transition({ status: 'signedIn', claims, expiresAt })
    },
    setSignedOut(error?: OidcError) {
      if (state.status === 'signedOut' && state.error === error) return
      transition(error ? { status: 'signedOut', error } : { status: 'signedOut' })
    },
  }
}

export type AuthStore = ReturnType<typeof createAuthState>

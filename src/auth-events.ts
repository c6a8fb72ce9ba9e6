import type { AuthEventMap } from './auth-state.js'

type Options<T> = boolean | T

/** An `EventTarget` typed per event name, so that `event.detail` needs no cast. */
export interface AuthEventTarget extends EventTarget {
  addEventListener<K extends keyof AuthEventMap>(
    type: K,
    listener: (event: AuthEventMap[K]) => void,
    options?: Options<AddEventListenerOptions>,
  ): void
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: Options<AddEventListenerOptions>,
  ): void
  removeEventListener<K extends keyof AuthEventMap>(
    type: K,
    listener: (event: AuthEventMap[K]) => void,
    options?: Options<EventListenerOptions>,
  ): void
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: Options<EventListenerOptions>,
  ): void
}

/** `EventTarget` itself, under the typed interface. */
export const AuthEventTarget = EventTarget as new () => AuthEventTarget

/**
 * Calls `onWake` when the tab becomes visible or the page comes back from the back-forward
 * cache (timers stop in sleeping tabs, and a cached page missed what happened meanwhile), and
 * `onOnline` when the network returns. Returns the function that stops listening.
 */
export function listenForWake(onWake: () => void, onOnline: () => void): () => void {
  if (typeof document === 'undefined') return () => {}
  const visible = () => document.visibilityState === 'visible' && onWake()
  const restored = (event: PageTransitionEvent) => event.persisted && onWake()
  document.addEventListener('visibilitychange', visible)
  addEventListener('pageshow', restored)
  addEventListener('online', onOnline)
  return () => {
    document.removeEventListener('visibilitychange', visible)
    removeEventListener('pageshow', restored)
    removeEventListener('online', onOnline)
  }
}

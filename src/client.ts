import {
  createAuthState,
  type AuthEventMap,
  type AuthListener,
  type AuthState,
} from './auth-state.js'
import { isCallbackUrl, stripCallbackParameters } from './callback.js'
import {
  completeLogin,
  sweepTransactions,
  transactionKey,
  type CallbackResult,
} from './complete-login.js'
import { validateConfig, type OidcClientOptions } from './config.js'
import type { FlowContext } from './context.js'
import { OidcError, isOidcError, safeCause } from './errors.js'
import { createExpiryTimers } from './expiry.js'
import { createAuthorizationRequest, type LoginOptions } from './login.js'
import { logoutSession, type LogoutOptions } from './logout.js'
import { createProvider } from './provider.js'
import { renewSession } from './renew.js'
import { createSessionCore } from './session-core.js'
import { expiringAt } from './session.js'
import { restore, syncFromStorage } from './sync.js'
import { createTabChannel, type TabMessage } from './tabs.js'
import { createTombstone } from './tombstone.js'
import { createIdbVault, createMemoryVault, type Vault } from './vault.js'

export type { CallbackResult, LogoutOptions }

const wakeEvents = ['pageshow', 'online'] as const

const epochSeconds = () => Math.floor(Date.now() / 1000)

/**
 * Signs users of a single-page app in with OpenID Connect: authorization code flow with PKCE,
 * the ID token verified in the browser, and an auth-state store that holds validated claims only.
 * A thin face: the session core owns the session, and each method runs one flow against it.
 *
 * @example
 * const client = new OidcClient({ issuer, clientId, redirectUri })
 * if (client.isCallback()) await client.handleRedirectCallback()
 * else await client.init()
 */
export class OidcClient extends EventTarget {
  readonly #ctx: FlowContext
  readonly #channel: ReturnType<typeof createTabChannel>
  readonly #store = createAuthState((type, state) => {
    if (type === 'change')
      this.#expiry.schedule(state.status === 'signedIn' ? this.#ctx.core.held().session : undefined)
    const error = state.status === 'signedOut' ? state.error : undefined
    this.dispatchEvent(new CustomEvent(type, { detail: type === 'error' ? error : state }))
  })
  #restoring: Promise<void> | undefined
  #callback: Promise<CallbackResult> | undefined
  #renewing: Promise<{ accessToken: string }> | undefined
  #closed = false
  readonly #expiry = createExpiryTimers({
    onExpiring: () => {
      this.dispatchEvent(new CustomEvent('expiring', { detail: this.getState() }))
      this.#renewIfDue()
    },
    onExpired: () => this.dispatchEvent(new CustomEvent('expired', { detail: this.getState() })),
  })
  // Timers stop in sleeping tabs, and a page may come back from the back-forward cache: the
  // stored session is read again before memory is trusted.
  readonly #onWake = (event: Event) => {
    if (event.type === 'pageshow' && !(event as PageTransitionEvent).persisted) return
    if (event.type === 'visibilitychange' && document.visibilityState !== 'visible') return
    void this.#sync().then(() => this.#renewIfDue())
  }

  constructor(options: OidcClientOptions) {
    super()
    const config = validateConfig(options)
    // Injective: no two (issuer, client id) pairs share a record, a channel or a lock.
    const namespace = JSON.stringify([config.issuer, config.clientId])
    const transactions = createIdbVault(namespace)
    let vault: Vault = config.persist === 'memory' ? createMemoryVault() : transactions
    this.#channel = createTabChannel(`oidc-browser${namespace}`, (message) =>
      this.#onMessage(message),
    )
    const core = createSessionCore({
      vault: () => vault,
      store: this.#store,
      tombstone: createTombstone(namespace),
      post: (message) => this.#channel.post(message),
    })
    this.#ctx = {
      config,
      core,
      transactions,
      provider: createProvider({ config, vault: () => vault, now: epochSeconds }),
      lockName: `oidc-browser${namespace}refresh`,
      report: (error) => this.dispatchEvent(new CustomEvent('error', { detail: error })),
      now: epochSeconds,
    }
    this.#useMemory = () => (vault = createMemoryVault())
    if (typeof document !== 'undefined') {
      for (const type of wakeEvents)
        globalThis.addEventListener(type, type === 'online' ? this.#onOnline : this.#onWake)
      document.addEventListener('visibilitychange', this.#onWake)
    }
  }

  readonly #useMemory: () => void
  readonly #onOnline = () => this.#renewIfDue()

  /** The current auth state: the same object until it changes. Bound. */
  readonly getState = (): AuthState => this.#store.get()

  /** Calls `listener(state)` on each change; returns the unsubscribe function. Bound. */
  readonly subscribe = (listener: AuthListener): (() => void) => this.#store.subscribe(listener)

  /**
   * Restores a persisted session once (its ID token verified again first; no request when
   * discovery and the JWKS are cached), and resolves with the state current when it resolves.
   */
  async init(): Promise<AuthState> {
    this.#open()
    await (this.#restoring ??= restore(this.#ctx, this.#useMemory))
    return this.getState()
  }

  /** The authorization request URL for a login; stores the login transaction. */
  async createLoginUrl(options?: LoginOptions): Promise<string> {
    const ctx = this.#open()
    const { authorization_endpoint } = await ctx.provider.metadata()
    const { url, state, transaction } = await createAuthorizationRequest(
      ctx.config,
      authorization_endpoint,
      options,
      ctx.now(),
    )
    await Promise.all([
      ctx.transactions.set(transactionKey(state), transaction),
      sweepTransactions(ctx),
    ])
    return url
  }

  /** Starts a login: navigates to the provider's authorization endpoint. */
  async login(options?: LoginOptions): Promise<never> {
    location.assign(await this.createLoginUrl(options))
    // The page is unloading; nothing after this should run.
    return new Promise<never>(() => {})
  }

  /** True if `url` is the redirect URI carrying `state` and a `code` or an `error`. */
  isCallback(url: string = location.href): boolean {
    return isCallbackUrl(url, this.#ctx.config.redirectUri)
  }

  /**
   * Completes a login from the redirect URI. On failure the `OidcError` is thrown and fired as
   * an `error` event, a session held before stays exactly as it was, and without one the state
   * is `signedOut` with the error.
   */
  handleRedirectCallback(url: string = location.href): Promise<CallbackResult> {
    // A second call while one runs (React StrictMode runs effects twice) shares its outcome.
    this.#callback ??= this.#callbackFlow(url).finally(() => (this.#callback = undefined))
    return this.#callback
  }

  async #callbackFlow(url: string): Promise<CallbackResult> {
    const ctx = this.#open()
    if (typeof location !== 'undefined' && url === location.href)
      history.replaceState(history.state, '', stripCallbackParameters(url))
    try {
      return await completeLogin(ctx, url)
    } catch (caught) {
      const error = isOidcError(caught)
        ? caught
        : new OidcError('invalid_callback', 'callback could not be completed', {
            cause: safeCause(caught),
          })
      await this.init()
      const { generation } = ctx.core.held()
      if (this.getState().status === 'signedIn') ctx.report(error)
      else await ctx.core.commit({ generation, record: 'any' }, { store: 'keep', error })
      throw error
    }
  }

  /**
   * A valid access token, refreshed once for all tabs when it is expiring and a refresh token
   * is held; otherwise `OidcError('login_required')`. Never served while not `signedIn`.
   */
  async getAccessToken(): Promise<string> {
    if (this.getState().status === 'initializing') await this.init()
    const { session } = this.#open().core.held()
    if (this.getState().status !== 'signedIn' || !session)
      throw new OidcError('login_required', 'no valid access token is held')
    if (!session.pendingIdToken && epochSeconds() < expiringAt(session)) return session.accessToken
    // Calls in this tab share one renewal; other tabs wait on the Web Lock.
    this.#renewing ??= renewSession(this.#ctx).finally(() => (this.#renewing = undefined))
    return (await this.#renewing).accessToken
  }

  /**
   * Ends the session in this tab and every other, revokes the refresh token (best effort), then,
   * unless `localOnly`, goes to the provider's `end_session_endpoint`.
   */
  async logout(options: LogoutOptions = {}): Promise<void> {
    const url = await logoutSession(this.#open(), options)
    if (url) location.assign(url)
  }

  /** Releases the channel, listeners and timers; a closed client does nothing more. */
  close(): void {
    this.#closed = true
    this.#channel.close()
    this.#expiry.schedule(undefined)
    for (const type of wakeEvents)
      globalThis.removeEventListener(type, type === 'online' ? this.#onOnline : this.#onWake)
    if (typeof document !== 'undefined')
      document.removeEventListener('visibilitychange', this.#onWake)
  }

  #open(): FlowContext {
    if (this.#closed) throw new OidcError('invalid_config', 'the client is closed')
    return this.#ctx
  }

  #sync = () =>
    this.#ctx.config.persist === 'memory'
      ? Promise.resolve()
      : syncFromStorage(this.#ctx).catch(() => {})

  #onMessage(message: TabMessage) {
    if (this.#closed || this.getState().status === 'initializing') return
    // A memory session is this tab's own: only a user's logout reaches it.
    if (this.#ctx.config.persist === 'memory') {
      if (message.type === 'logout')
        void this.#ctx.core.commit(
          { generation: 'any', record: 'any' },
          { store: 'delete', logout: true },
        )
      return
    }
    const ending =
      message.type === 'ended' && message.code
        ? new OidcError(
            message.code,
            'the session ended in another tab',
            message.reason ? { reason: message.reason } : {},
          )
        : undefined
    void syncFromStorage(this.#ctx, ending).catch(() => {})
  }

  // The automatic refresh: only with a refresh token, in a visible tab, once the token is expiring.
  #renewIfDue() {
    const { session } = this.#ctx.core.held()
    if (this.#closed || !session?.refreshToken || epochSeconds() < expiringAt(session)) return
    // A token that came already expired would make this a loop against the provider.
    if (session.expiresAt <= session.issuedAt) return
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
    // A failure is on the state or an `error` event already.
    this.getAccessToken().catch(() => {})
  }
}

export interface OidcClient {
  addEventListener<K extends keyof AuthEventMap>(
    type: K,
    listener: (event: AuthEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void
  removeEventListener<K extends keyof AuthEventMap>(
    type: K,
    listener: (event: AuthEventMap[K]) => void,
    options?: boolean | EventListenerOptions,
  ): void
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void
}

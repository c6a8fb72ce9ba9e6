import { AuthEventTarget, listenForWake } from './auth-events.js'
import { authorizationHeaders, authorizedFetch } from './authorized-fetch.js'
import { createAuthState, type AuthListener, type AuthState } from './auth-state.js'
import { isCallbackUrl } from './callback.js'
import {
  commitLogin,
  createLogin,
  failLogin,
  type CallbackResult,
  type Redeemed,
} from './redirect-login.js'
import { validateConfig, type OidcClientOptions } from './config.js'
import { createFlowContext, epochSeconds, type FlowContext } from './context.js'
import { OidcError } from './errors.js'
import { createExpiryTimers } from './expiry.js'
import type { LoginOptions } from './login.js'
import { logoutSession, type LogoutOptions } from './logout.js'
import { isHandoffUrl, redeemAtRedirectUri } from './handoff.js'
import { openPopup, popupSession } from './popup.js'
import { renewSession } from './renew.js'
import { expiringAt, type Session } from './session.js'
import { followTab, logoutsSince, restore, syncFromStorage, type Logouts } from './sync.js'
import { silentSession } from './silent.js'
import { fetchUserInfo, type UserInfo } from './userinfo.js'

export type { CallbackResult, LogoutOptions, UserInfo }

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
export class OidcClient extends AuthEventTarget {
  readonly #ctx: FlowContext
  readonly #store = createAuthState((type, state) => {
    // Work that was under way when the client closed changes nothing visible.
    if (this.#closed) return
    if (type === 'change')
      this.#expiry.schedule(state.status === 'signedIn' ? this.#ctx.core.held().session : undefined)
    const error = state.status === 'signedOut' ? state.error : undefined
    this.dispatchEvent(new CustomEvent(type, { detail: type === 'error' ? error : state }))
  })
  readonly #expiry = createExpiryTimers({
    onExpiring: () => {
      this.dispatchEvent(new CustomEvent('expiring', { detail: this.getState() }))
      this.#renewIfDue()
    },
    onExpired: () => this.dispatchEvent(new CustomEvent('expired', { detail: this.getState() })),
  })
  readonly #release: () => void
  #restoring: Promise<void> | undefined
  #callback: Promise<CallbackResult> | undefined
  #renewing: Promise<Session> | undefined
  // A wake's re-read of storage (a visible tab, a page from the cache): memory waits for it.
  #waking: Promise<void> | undefined
  #closed = false

  constructor(options: OidcClientOptions) {
    super()
    this.#ctx = createFlowContext(validateConfig(options), {
      store: this.#store,
      report: (error) =>
        this.#closed || this.dispatchEvent(new CustomEvent('error', { detail: error })),
      // A tab still restoring takes the message once restored; a closed client hears nothing.
      onMessage: (message) => {
        if (!this.#closed && this.#restoring)
          void this.#restoring.then(() => followTab(this.#ctx, message)).catch(() => {})
      },
    })
    // Not before init(), nor during it: it would end the `initializing` a silent sign-in keeps.
    const wake = () => {
      this.#waking = this.#restoring?.then(() => this.#sync())
      void this.#waking?.then(() => this.#renewIfDue())
    }
    const stopWaking = listenForWake(wake, wake)
    this.#release = () => (this.#ctx.close(), stopWaking(), this.#expiry.schedule(undefined))
  }

  /** The current auth state: the same object until it changes. Bound. */
  readonly getState = (): AuthState => this.#store.get()

  /** Calls `listener(state)` on each change, until `close()`; returns the unsubscribe function. Bound. */
  readonly subscribe = (listener: AuthListener): (() => void) =>
    this.#store.subscribe((state) => this.#closed || listener(state))

  /**
   * Restores a persisted session once (its ID token verified again first; no request when
   * discovery and the JWKS are cached), and resolves with the state current when it resolves.
   * With `silent`, nothing stored means one `signInSilently()` first.
   */
  async init(options?: { silent?: boolean }): Promise<AuthState> {
    const ctx = this.#open()
    const silent = options?.silent ? () => silentSession(ctx) : undefined
    await (this.#restoring ??= restore(ctx, silent))
    return this.getState()
  }

  /** The authorization request URL for a login; stores the login transaction. */
  async createLoginUrl(options?: LoginOptions): Promise<string> {
    return (await createLogin(this.#open(), options)).url
  }

  /**
   * Logs in in a popup, this page staying as it is. Call it in the user's gesture (a click): the
   * popup opens before anything is awaited. Rejects `popup_blocked`, `popup_closed` (when the
   * browser lets it be seen) or `popup_timeout`, storing nothing, or as a redirect login would.
   */
  async loginWithPopup(options?: LoginOptions): Promise<CallbackResult> {
    const ctx = this.#open()
    const popup = openPopup()
    return this.#login(() => popupSession(ctx, popup, options))
  }

  /**
   * Logs in with `prompt=none` in a hidden iframe: resolves signed in when the provider still
   * has a session, else rejects `login_required` (also for blocked third-party cookies, a
   * provider that refuses to be framed, and the timeout).
   */
  async signInSilently(options?: LoginOptions): Promise<CallbackResult> {
    const ctx = this.#open()
    // A check in the background, not the user's login: a logout anywhere meanwhile wins.
    return this.#login(() => silentSession(ctx, options), logoutsSince(ctx))
  }

  /** The userinfo endpoint's claims for this session's user, frozen; never merged into `claims`. */
  async getUserInfo(): Promise<UserInfo> {
    return fetchUserInfo(this.#open(), () => this.getAccessToken())
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
   * True on the redirect URI inside a login popup or a silent sign-in's iframe, where
   * `handleRedirectCallback()` only hands the answer back: the app has nothing to show there.
   */
  isSilentOrPopupCallback(url: string = location.href): boolean {
    return this.isCallback(url) && isHandoffUrl(url)
  }

  /**
   * Completes a login from the redirect URI. On failure the `OidcError` is thrown and fired as
   * an `error` event, a session held before stays exactly as it was, and without one the state
   * is `signedOut` with the error.
   */
  async handleRedirectCallback(url: string = location.href): Promise<CallbackResult> {
    const ctx = this.#open()
    // A second call while one runs (React StrictMode runs effects twice) shares its outcome.
    this.#callback ??= this.#login(() => redeemAtRedirectUri(ctx, url)).finally(
      () => (this.#callback = undefined),
    )
    return this.#callback
  }

  async #login(redeem: () => Promise<Redeemed>, since?: Promise<Logouts>): Promise<CallbackResult> {
    const ctx = this.#ctx
    try {
      const result = await commitLogin(ctx, await redeem(), await since)
      // The login supersedes any restore: this tab now follows the others.
      this.#restoring ??= Promise.resolve()
      return result
    } catch (caught) {
      throw await failLogin(ctx, caught, () => this.init())
    }
  }

  /**
   * A valid access token, refreshed once for all tabs when it is expiring and a refresh token
   * is held; otherwise `OidcError('login_required')`. Never served while not `signedIn`.
   */
  async getAccessToken(): Promise<string> {
    const ctx = this.#open()
    await this.#waking
    const state = this.getState().status === 'initializing' ? await this.init() : this.getState()
    // A session this tab could not verify before may be verifiable now.
    if (state.status === 'signedOut' && state.error?.code === 'jwks_error') await this.#sync()
    const { session } = ctx.core.held()
    if (this.getState().status !== 'signedIn' || !session)
      throw new OidcError('login_required', 'no valid access token is held')
    if (!session.pendingIdToken && epochSeconds() < expiringAt(session)) return session.accessToken
    // Calls in this tab share one renewal; other tabs wait on the Web Lock.
    this.#renewing ??= renewSession(ctx).finally(() => (this.#renewing = undefined))
    const renewed = await this.#renewing
    // A logout that came while renewing stands.
    if (this.getState().status !== 'signedIn')
      throw new OidcError('login_required', 'the session has ended')
    return renewed.accessToken
  }

  /** `fetch` with the access token (and a DPoP proof) attached, to the `apiOrigins` only. */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    return authorizedFetch(this.#open(), () => this.getAccessToken(), input, init)
  }

  /** The headers `fetch()` would attach to a `method` request to `url`, for other HTTP clients. */
  async authorizationHeaders(method: string, url: string): Promise<Record<string, string>> {
    return authorizationHeaders(this.#open(), () => this.getAccessToken(), method, url)
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
    this.#release()
  }

  #open(): FlowContext {
    if (this.#closed) throw new OidcError('invalid_config', 'the client is closed')
    return this.#ctx
  }

  #sync(): Promise<void> {
    if (this.#ctx.inMemory()) return Promise.resolve()
    return syncFromStorage(this.#ctx).catch(() => {})
  }

  // The automatic renewal (a refresh, or a silent sign-in without a refresh token): in a
  // visible tab, once the token is expiring.
  #renewIfDue() {
    const { session } = this.#ctx.core.held()
    if (this.#closed || !session || epochSeconds() < expiringAt(session)) return
    // A token that came already expired would make this a loop against the provider.
    if (session.expiresAt <= session.issuedAt) return
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
    // A failure is on the state or an `error` event already.
    this.getAccessToken().catch(() => {})
  }
}

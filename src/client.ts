import {
  createAuthState,
  type AuthEventType,
  type AuthListener,
  type AuthState,
  type AuthStore,
} from './auth-state.js'
import { isCallbackUrl, readCallbackUrl, stripCallbackParameters } from './callback.js'
import { validateConfig, type OidcClientOptions, type ResolvedConfig } from './config.js'
import { OidcError, isOidcError, safeCause } from './errors.js'
import { validateIdToken, validateStoredIdToken, type IdTokenClaims } from './id-token.js'
import { allowedAlgorithms } from './jwks.js'
import { createExpiryTimers } from './expiry.js'
import { createAuthorizationRequest, toLoginTransaction, type LoginOptions } from './login.js'
import { createProvider, type Provider } from './provider.js'
import { refreshSession } from './refresh.js'
import { revokeRefreshToken } from './revoke.js'
import { expiringAt, toSession, type Session } from './session.js'
import { createTabChannel, withTabLock, type TabMessage } from './tabs.js'
import { fetchToken } from './token-endpoint.js'
import { parseSecureUrl } from './url.js'
import { createIdbVault, createMemoryVault, type Vault } from './vault.js'

/** Options of `logout()`. */
export interface LogoutOptions {
  /** Clear the session here and in other tabs, but do not go to the provider. */
  localOnly?: boolean
  /** Overrides the client's `postLogoutRedirectUri` for this logout. */
  postLogoutRedirectUri?: string
}

export interface CallbackResult {
  claims: Readonly<IdTokenClaims>
  returnTo?: string
}

const epochSeconds = () => Math.floor(Date.now() / 1000)

/**
 * Signs users of a single-page app in with OpenID Connect: authorization code flow with PKCE,
 * the ID token verified in the browser, and an auth-state store that holds validated claims only.
 *
 * @example
 * const client = new OidcClient({ issuer, clientId, redirectUri })
 * if (client.isCallback()) await client.handleRedirectCallback()
 * else await client.init()
 */
export class OidcClient extends EventTarget {
  readonly #config: ResolvedConfig
  readonly #store: AuthStore
  readonly #provider: Provider
  // Login transactions always go to IndexedDB: they must outlive the navigation to the provider.
  readonly #transactions: Vault
  #vault: Vault
  #session: Session | undefined
  // A refreshed session storage refused: held in this tab only, until a later refresh stores one.
  #unstored: Session | undefined
  // Counts the ends of sessions here, so that a takeover verifying meanwhile can tell.
  #endings = 0
  #initializing: Promise<AuthState> | undefined
  #refreshing: Promise<Session> | undefined
  #callback: Promise<CallbackResult> | undefined
  #tabs: ReturnType<typeof createTabChannel> | undefined
  // `expiring` and `expired` follow the access token held, set again on each state change.
  readonly #expiry = createExpiryTimers({
    onExpiring: () => {
      this.dispatchEvent(new CustomEvent('expiring', { detail: this.getState() }))
      this.#refreshIfDue()
    },
    onExpired: () => this.dispatchEvent(new CustomEvent('expired', { detail: this.getState() })),
  })

  constructor(options: OidcClientOptions) {
    super()
    this.#config = validateConfig(options)
    const { issuer, clientId, persist } = this.#config
    this.#transactions = createIdbVault(`${issuer}|${clientId}|`)
    this.#vault = persist === 'memory' ? createMemoryVault() : this.#transactions
    this.#provider = createProvider({
      config: this.#config,
      vault: () => this.#vault,
      now: epochSeconds,
    })
    this.#store = createAuthState((type: AuthEventType, state: AuthState) => {
      if (type === 'change')
        this.#expiry.schedule(state.status === 'signedIn' ? this.#session : undefined)
      const detail =
        type === 'error' && state.status === 'signedOut' && state.error ? state.error : state
      this.dispatchEvent(new CustomEvent(type, { detail }))
    })
  }

  /** The current auth state: the same object until it changes. Bound. */
  readonly getState = (): AuthState => this.#store.get()

  /** Calls `listener(state)` on each change; returns the unsubscribe function. Bound. */
  readonly subscribe = (listener: AuthListener): (() => void) => this.#store.subscribe(listener)

  /**
   * Restores a persisted session: the stored ID token's signature, `iss` and `aud` are checked
   * again first. No request when discovery and the JWKS are cached. Idempotent.
   */
  init(): Promise<AuthState> {
    this.#connect()
    this.#initializing ??= this.#restore()
    return this.#initializing
  }

  async #restore(): Promise<AuthState> {
    let record: unknown
    try {
      record = await this.#vault.get('session')
    } catch (error) {
      // IndexedDB is unusable: carry on in memory and say so on the state.
      this.#vault = createMemoryVault()
      this.#settleRestore(() => this.#store.setSignedOut(error as OidcError))
      return this.getState()
    }
    const session = toSession(record)
    if (!session) {
      if (record !== undefined) await this.#vault.del('session').catch(() => {})
      this.#settleRestore(() => this.#store.setSignedOut())
      return this.getState()
    }
    try {
      const claims = await this.#verifyStored(session)
      this.#settleRestore(() => {
        this.#session = session
        this.#store.setSignedIn(claims, session.expiresAt)
      })
    } catch (error) {
      // A record that failed verification is gone; one we could not check yet (network) stays.
      const unchecked = isOidcError(error) && error.code !== 'id_token_invalid'
      this.#settleRestore(() => this.#store.setSignedOut(unchecked ? error : undefined))
    }
    return this.getState()
  }

  /** Verifies a stored session's ID token again (signature, iss, aud); deletes a record that fails. */
  async #verifyStored(session: Session): Promise<Readonly<IdTokenClaims>> {
    const { issuer, clientId } = this.#config
    try {
      return await validateStoredIdToken(session.idToken, {
        issuer,
        clientId,
        ...(await this.#signatureExpectations()),
      })
    } catch (error) {
      if (isOidcError(error) && error.code === 'id_token_invalid')
        await this.#vault.del('session').catch(() => {})
      throw error
    }
  }

  // A callback or logout that finished while init() was reading wins over the restore.
  #settleRestore(apply: () => void) {
    if (this.getState().status === 'initializing') apply()
  }

  async #signatureExpectations() {
    const metadata = await this.#provider.metadata()
    return {
      algorithms: allowedAlgorithms(metadata.id_token_signing_alg_values_supported),
      resolveKey: this.#provider.resolveKey,
    }
  }

  /** The authorization request URL for a login; stores the login transaction. */
  async createLoginUrl(options?: LoginOptions): Promise<string> {
    const { authorization_endpoint } = await this.#provider.metadata()
    const { url, state, transaction } = await createAuthorizationRequest(
      this.#config,
      authorization_endpoint,
      options,
      epochSeconds(),
    )
    await this.#transactions.set(`tx|${state}`, transaction)
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
    return isCallbackUrl(url, this.#config.redirectUri)
  }

  /**
   * Completes a login from the redirect URI. On success the state is `signedIn`; on failure the
   * `OidcError` is thrown, the state is `signedOut` with it, and nothing of the response is kept.
   */
  handleRedirectCallback(url: string = location.href): Promise<CallbackResult> {
    // A second call while one runs (React StrictMode runs effects twice) shares its outcome.
    this.#callback ??= this.#handleCallback(url).finally(() => (this.#callback = undefined))
    return this.#callback
  }

  async #handleCallback(url: string): Promise<CallbackResult> {
    if (typeof location !== 'undefined' && url === location.href) {
      history.replaceState(history.state, '', stripCallbackParameters(url))
    }
    try {
      return await this.#completeLogin(url)
    } catch (caught) {
      const error = isOidcError(caught)
        ? caught
        : new OidcError('invalid_callback', 'callback could not be completed', {
            cause: safeCause(caught),
          })
      this.#store.setSignedOut(error)
      throw error
    }
  }

  async #completeLogin(url: string): Promise<CallbackResult> {
    const { issuer, clientId, redirectUri, clockTolerance } = this.#config
    const { state, params } = readCallbackUrl(url, redirectUri)
    // Taken (read and deleted) at once, whatever follows: a callback URL works once.
    const transaction = toLoginTransaction(
      await this.#transactions.del(`tx|${state}`),
      epochSeconds(),
    )
    if (!transaction) throw new OidcError('invalid_callback', 'no pending login has this "state"')
    const metadata = await this.#provider.metadata()
    if (
      (metadata.authorization_response_iss_parameter_supported || params.has('iss')) &&
      params.get('iss') !== issuer
    ) {
      throw new OidcError(
        'issuer_mismatch',
        'authorization response "iss" is not the issuer (RFC 9207)',
      )
    }
    const providerError = params.get('error')
    if (providerError !== undefined) {
      const errorDescription = params.get('error_description')
      throw new OidcError('authorization_error', `the provider answered "${providerError}"`, {
        error: providerError,
        ...(errorDescription === undefined ? {} : { errorDescription }),
      })
    }
    const code = params.get('code')
    if (!code) throw new OidcError('invalid_callback', 'authorization response has no "code"')
    // The key set loads while the token request is out; a failure shows again when validating.
    this.#provider.prefetchKeys()
    const tokens = await fetchToken(
      this.#config.fetch,
      metadata.token_endpoint,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: transaction.codeVerifier,
      },
      { requireIdToken: true },
    )
    const idToken = tokens.id_token as string
    const now = epochSeconds()
    const claims = await validateIdToken(idToken, {
      issuer,
      clientId,
      now,
      tolerance: clockTolerance,
      nonce: transaction.nonce,
      accessToken: tokens.access_token,
      ...(transaction.maxAge === undefined ? {} : { maxAge: transaction.maxAge }),
      ...(await this.#signatureExpectations()),
    })
    const session: Session = {
      v: 1,
      idToken,
      accessToken: tokens.access_token,
      // Without expires_in, the access token is taken to live as long as the ID token.
      issuedAt: now,
      expiresAt: tokens.expires_in === undefined ? claims.exp : now + tokens.expires_in,
      ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }),
      ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
    }
    await this.#vault.set('session', session)
    this.#session = session
    this.#store.setSignedIn(claims, session.expiresAt)
    this.#connect().post({ type: 'signedin' })
    return transaction.returnTo === undefined
      ? { claims }
      : { claims, returnTo: transaction.returnTo }
  }

  /**
   * A valid access token. One that is within 60 s of expiry is refreshed when a refresh token
   * is held, once for all tabs; otherwise `OidcError('login_required')`.
   */
  async getAccessToken(): Promise<string> {
    if (this.getState().status === 'initializing') await this.init()
    const session = this.#session
    if (session && epochSeconds() < expiringAt(session)) return session.accessToken
    if (!session?.refreshToken)
      throw new OidcError('login_required', 'no valid access token is held')
    return (await this.#refresh()).accessToken
  }

  // Concurrent calls in this tab share one refresh; other tabs wait on the Web Lock.
  #refresh(): Promise<Session> {
    this.#refreshing ??= this.#refreshUnderLock().finally(() => (this.#refreshing = undefined))
    return this.#refreshing
  }

  #refreshUnderLock(): Promise<Session> {
    const held = this.#session
    return withTabLock(`${this.#channelName}|refresh`, async () => {
      // Another tab may have refreshed, or ended the session, while this one waited.
      const stored =
        toSession(await this.#vault.get('session')) ?? (held === this.#unstored ? held : undefined)
      if (!stored || stored.accessToken !== held?.accessToken) return this.#takeStored(stored)
      const state = this.getState()
      if (!stored.refreshToken || state.status !== 'signedIn') {
        throw new OidcError('login_required', 'no refresh token is held')
      }
      let next: Awaited<ReturnType<typeof refreshSession>>
      try {
        next = await refreshSession({
          ...(await this.#signatureExpectations()),
          fetch: this.#config.fetch,
          tokenEndpoint: (await this.#provider.metadata()).token_endpoint,
          issuer: this.#config.issuer,
          clientId: this.#config.clientId,
          scope: this.#config.scope,
          now: epochSeconds,
          tolerance: this.#config.clockTolerance,
          session: { ...stored, refreshToken: stored.refreshToken },
          claims: state.claims,
        })
      } catch (error) {
        throw await this.#refreshFailed(error)
      }
      // Written only over the session it came from: another tab's logout or login while the
      // provider answered stands.
      const unchanged = (record: unknown) =>
        (toSession(record) ?? this.#unstored)?.accessToken === stored.accessToken
      let current: unknown = stored
      try {
        current = await this.#vault.swap('session', (record) =>
          unchanged(record) ? next.session : record,
        )
      } catch (error) {
        // The old refresh token is spent: this tab keeps the new one in memory, and never leaves
        // the spent one where another tab would present it again (and so have the provider
        // revoke the grant).
        await this.#vault.del('session').catch(() => {})
        this.#unstored = next.session
        this.dispatchEvent(new CustomEvent('error', { detail: error }))
      }
      if (!unchanged(current)) return this.#takeStored(toSession(current))
      if (this.#session !== held) return this.#takeStored(this.#session)
      this.#session = next.session
      this.#connect().post({ type: 'refreshed' })
      // Stored first: a listener that logs out on this change then removes the new tokens too.
      this.#store.setSignedIn(next.claims, next.session.expiresAt)
      return next.session
    })
  }

  // What another tab left while this one waited or refreshed stands: a session is taken over,
  // none ends this one.
  async #takeStored(stored: Session | undefined): Promise<Session> {
    if (stored) return this.#adopt(stored)
    await this.#endSession()
    throw new OidcError('login_required', 'the session has ended')
  }

  // A refresh token the provider refuses, or an ID token for another user, ends the session
  // in every tab; a network failure or a 5xx leaves it as it is.
  async #refreshFailed(error: unknown): Promise<OidcError> {
    if (isOidcError(error) && error.code === 'token_error' && error.error === 'invalid_grant') {
      const ended = new OidcError(
        'login_required',
        'the provider no longer accepts the refresh token',
        {
          cause: error,
        },
      )
      await this.#endSession(ended)
      return ended
    }
    if (isOidcError(error) && error.code === 'id_token_invalid') {
      await this.#endSession(error)
      return error
    }
    const kept = isOidcError(error)
      ? error
      : new OidcError('token_error', 'refresh failed', { cause: safeCause(error) })
    this.dispatchEvent(new CustomEvent('error', { detail: kept }))
    return kept
  }

  // Takes over a session another tab stored, verifying its ID token like a restore does.
  async #adopt(session: Session): Promise<Session> {
    const endings = this.#endings
    try {
      const claims = await this.#verifyStored(session)
      // A logout that arrived while verifying stands.
      if (endings !== this.#endings) throw new OidcError('login_required', 'the session has ended')
      this.#session = session
      this.#store.setSignedIn(claims, session.expiresAt)
      return session
    } catch (error) {
      if (isOidcError(error) && error.code === 'id_token_invalid') await this.#endSession()
      throw error
    }
  }

  #forget() {
    this.#session = this.#unstored = undefined
    this.#endings++
  }

  /** Clears the session here and tells the other tabs; returns the storage error, if any. */
  async #endSession(error?: OidcError): Promise<unknown> {
    this.#forget()
    let failed: unknown
    await this.#vault.del('session').catch((cause: unknown) => (failed = cause))
    this.#store.setSignedOut(error)
    this.#connect().post(error ? { type: 'signedout', error: error.code } : { type: 'signedout' })
    return failed
  }

  async #onTabMessage(message: TabMessage) {
    if (message.type === 'signedout') {
      this.#forget()
      this.#store.setSignedOut(
        message.error
          ? new OidcError(message.error, 'the session ended in another tab')
          : undefined,
      )
      return
    }
    // A memory vault is this tab's own: there is nothing of the other tab's to read.
    if (this.#config.persist === 'memory') return
    const stored = toSession(await this.#vault.get('session').catch(() => undefined))
    if (stored && stored.accessToken !== this.#session?.accessToken)
      await this.#adopt(stored).catch(() => {})
  }

  // Tab sync and the expiry re-checks start with the first call that needs them, not at construction.
  #connect() {
    if (this.#tabs) return this.#tabs
    this.#tabs = createTabChannel(this.#channelName, (message) => void this.#onTabMessage(message))
    if (typeof document !== 'undefined') {
      // Timers stop in sleeping tabs: look again when the tab shows or the network returns.
      const recheck = () => this.#refreshIfDue()
      document.addEventListener('visibilitychange', recheck)
      globalThis.addEventListener('online', recheck)
    }
    return this.#tabs
  }

  get #channelName() {
    return `oidc-browser|${this.#config.issuer}|${this.#config.clientId}`
  }

  // The automatic refresh: only with a refresh token, in a visible tab, once the token is expiring.
  #refreshIfDue() {
    const session = this.#session
    if (!session?.refreshToken || epochSeconds() < expiringAt(session)) return
    // A token that came already expired would make this a loop against the provider.
    if (session.expiresAt <= session.issuedAt) return
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
    // A failure is on the state or an `error` event already.
    this.getAccessToken().catch(() => {})
  }

  /**
   * Ends the session in this tab and every other, revokes the refresh token (best effort, a few
   * seconds at most), then, unless `localOnly`, goes to the provider's `end_session_endpoint`
   * with `id_token_hint`, `client_id` and `post_logout_redirect_uri`.
   */
  async logout(options: LogoutOptions = {}): Promise<void> {
    const postLogoutRedirectUri =
      options.postLogoutRedirectUri ?? this.#config.postLogoutRedirectUri
    if (
      options.postLogoutRedirectUri !== undefined &&
      !parseSecureUrl(options.postLogoutRedirectUri)
    ) {
      throw new OidcError('invalid_config', '"postLogoutRedirectUri" must be an absolute https URL')
    }
    const session = this.#session
    const failed = await this.#endSession()
    if (session?.refreshToken) {
      const metadata = await this.#provider.metadata().catch(() => undefined)
      await revokeRefreshToken(this.#config.fetch, {
        endpoint: metadata?.revocation_endpoint,
        token: session.refreshToken,
        clientId: this.#config.clientId,
      })
    }
    if (failed) throw failed
    if (options.localOnly) return
    const { end_session_endpoint } = await this.#provider.metadata()
    if (!end_session_endpoint) return
    const url = new URL(end_session_endpoint)
    url.searchParams.set('client_id', this.#config.clientId)
    if (session) url.searchParams.set('id_token_hint', session.idToken)
    if (postLogoutRedirectUri)
      url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri)
    location.assign(url.href)
  }
}

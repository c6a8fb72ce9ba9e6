import { readCallbackUrl } from './callback.js'
import type { AuthState } from './auth-state.js'
import type { FlowContext } from './context.js'
import { dpopBinding } from './dpop-binding.js'
import type { ResolvedConfig } from './config.js'
import type { ProviderMetadata } from './discovery.js'
import { OidcError, isOidcError, safeCause } from './errors.js'
import { validateIdToken, type IdTokenClaims } from './id-token.js'
import { createAuthorizationRequest, toLoginTransaction, type LoginOptions } from './login.js'
import { revokeSession, revokeUnlessStored } from './revoke.js'
import { createSession, type Session } from './session.js'
import { commitBackground, signatureExpectations, type Logouts } from './sync.js'
import { fetchToken } from './token-endpoint.js'

export interface CallbackResult {
  claims: Readonly<IdTokenClaims>
  returnTo?: string
}

/** Where a login transaction is stored: under its `state`. */
export const transactionKey = (state: string) => `tx:${state}`

/** Deletes login transactions older than 10 minutes (abandoned logins), best effort. */
export function sweepTransactions(ctx: FlowContext): Promise<void> {
  return ctx.transactions
    .sweep(transactionKey(''), (record) => !toLoginTransaction(record, ctx.now()))
    .catch(() => {})
}

/**
 * The authorization request of a new login (`url` and `state`); its transaction is stored first.
 * `dpopKey`: the key a silent renewal keeps (a new one otherwise).
 */
export async function createLogin(
  ctx: FlowContext,
  options?: LoginOptions,
  binding?: { stateMark?: string; dpopKey?: CryptoKeyPair | undefined },
): Promise<{ url: string; state: string }> {
  const metadata = await ctx.provider.metadata()
  requireDpopSupport(ctx.config, metadata)
  const request = await createAuthorizationRequest(
    ctx.config,
    metadata.authorization_endpoint,
    options,
    ctx.now(),
    binding,
  )
  await Promise.all([
    ctx.transactions.set(transactionKey(request.state), request.transaction),
    sweepTransactions(ctx),
  ])
  return request
}

// A background sign-in that a logout beat: the logout's plain `signedOut` stands (the error is
// thrown and fired only), as after init({ silent: true }).
const yieldedToLogout = new WeakSet<OidcError>()

/**
 * What a failed callback leaves: the session held before, exactly as it was (`restore` finds
 * it when the page has not yet), or else `signedOut` with the error. Returns the error.
 */
export async function failLogin(
  ctx: FlowContext,
  caught: unknown,
  restore: () => Promise<AuthState>,
): Promise<OidcError> {
  const error = isOidcError(caught)
    ? caught
    : new OidcError('invalid_callback', 'callback could not be completed', {
        cause: safeCause(caught),
      })
  // A closed client changes nothing: its caller gets the error as it is.
  if (ctx.closed.aborted) return error
  const state = await restore()
  const { generation } = ctx.core.held()
  if (state.status === 'signedIn' || yieldedToLogout.has(error)) ctx.report(error)
  else await ctx.core.commit({ generation, record: 'any' }, { store: 'keep', error })
  return error
}

/** What an authorization response brings, all checked; nothing of it is committed yet. */
export interface Redeemed {
  session: Session
  claims: Readonly<IdTokenClaims>
  returnTo?: string | undefined
}

/**
 * Commits a login's session over whatever was held: a login wins over what happened meanwhile,
 * but not over a logout. `since`, for a sign-in in the background (`signInSilently()`): the
 * logout mark when it started, since any logout after it wins, even one already committed.
 */
export async function commitLogin(
  ctx: FlowContext,
  { session, claims, returnTo }: Redeemed,
  since?: Logouts,
): Promise<CallbackResult> {
  // An answer redeemed after `close()`: a closed client stores nothing.
  if (ctx.closed.aborted) {
    await revokeUnlessStored(ctx, session)
    throw new OidcError('invalid_config', 'the client is closed')
  }
  const any = { generation: 'any', record: 'any' } as const
  if (since) {
    if (!(await commitBackground(ctx, any, { session, claims }, since.mark, since.heard))) {
      const error = new OidcError('login_required', 'a logout came during the silent sign-in')
      yieldedToLogout.add(error)
      throw error
    }
  } else if (
    (await ctx.core.commit(any, { session, claims, store: 'put', tell: { type: 'changed' } })) !==
    'done'
  ) {
    // A logout in another tab came while it was being stored: its refresh token is revoked.
    await revokeSession(ctx, session)
    throw new OidcError('login_required', 'a logout ended the session while it was being stored')
  }
  return returnTo === undefined ? { claims } : { claims, returnTo }
}

/**
 * The session an authorization response brings, its transaction taken and every callback rule
 * of the SPEC checked in order. Commits nothing.
 */
export async function redeemCallback(
  ctx: FlowContext,
  url: string,
  sessionKey?: CryptoKeyPair,
): Promise<Redeemed> {
  const { issuer, clientId, redirectUri, clockTolerance } = ctx.config
  const { state, params } = readCallbackUrl(url, redirectUri)
  // Cached discovery and keys come in one read, queued before the login transaction's take.
  ctx.provider.preload()
  // Taken (read and deleted) at once, whatever follows: a callback URL works once.
  const transaction = toLoginTransaction(
    await ctx.transactions.del(transactionKey(state)),
    ctx.now(),
  )
  void sweepTransactions(ctx)
  if (!transaction) throw new OidcError('invalid_callback', 'no pending login has this "state"')
  const metadata = await ctx.provider.metadata()
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
  // With DPoP, the code is bound to the login's key, and the session is bound to it too.
  const dpopKey = sessionKey ?? transaction.dpopKey
  if (ctx.config.dpop && !dpopKey)
    throw new OidcError('invalid_callback', 'the pending login has no DPoP key')
  // The key set loads while the token request is out; a failure shows again when validating.
  ctx.provider.prefetchKeys()
  const tokens = await fetchToken(
    ctx.config.fetch,
    metadata.token_endpoint,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: transaction.codeVerifier,
    },
    { requireIdToken: true, ...dpopBinding(ctx.config.dpop, dpopKey) },
  )
  const idToken = tokens.id_token as string
  const now = ctx.now()
  const claims = await validateIdToken(idToken, {
    issuer,
    clientId,
    now,
    tolerance: clockTolerance,
    nonce: transaction.nonce,
    accessToken: tokens.access_token,
    ...(transaction.maxAge === undefined ? {} : { maxAge: transaction.maxAge }),
    ...(await signatureExpectations(ctx)),
  })
  const session = createSession({
    idToken,
    accessToken: tokens.access_token,
    // Without expires_in, the access token is taken to live as long as the ID token.
    issuedAt: now,
    expiresAt: tokens.expires_in === undefined ? claims.exp : now + tokens.expires_in,
    ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }),
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
    ...(ctx.config.dpop && { dpopKey }),
  })
  return { session, claims, returnTo: transaction.returnTo }
}

/** With DPoP on, a login needs a provider that takes ES256 proofs. */
function requireDpopSupport(config: ResolvedConfig, metadata: ProviderMetadata) {
  if (config.dpop && !metadata.dpop_signing_alg_values_supported?.includes('ES256'))
    throw new OidcError('invalid_config', 'the provider takes no ES256 DPoP proofs')
}

import type { FlowContext } from './context.js'
import { OidcError, idTokenInvalid, isOidcError, safeCause } from './errors.js'
import { validateIdToken, type IdTokenClaims } from './id-token.js'
import { cannotVerifyNow, clockBehind, refreshSession, type Refreshed } from './refresh.js'
import { revokeUnlessStored } from './revoke.js'
import { silentSession } from './silent.js'
import type { Basis } from './session-core.js'
import { createSession, expiringAt, type Session } from './session.js'
import { signatureExpectations, syncFromStorage } from './sync.js'
import { isRefusal } from './token-endpoint.js'
import { endedMessage, withTabLock } from './tabs.js'

const loginRequired = (message: string, cause?: unknown) =>
  new OidcError('login_required', message, cause === undefined ? {} : { cause })

/**
 * The session this tab should serve a token from, renewed under the tabs' lock: another tab's
 * result when it refreshed meanwhile, else this tab's own refresh. A session whose refreshed ID
 * token was not verified yet is verified first.
 */
export function renewSession(ctx: FlowContext): Promise<Session> {
  return withTabLock(ctx.lockName, async () => {
    const { core } = ctx
    const { generation, session: held, unstored } = core.held()
    const stored = await core.read()
    // Another tab refreshed, logged in or out while this one waited: what it left stands.
    if (!held || (stored?.id !== held.id && !(unstored && !stored))) return takeStored(ctx)
    let basis: Basis = { generation, record: stored?.id }
    const state = core.state()
    if (state.status !== 'signedIn') throw loginRequired('no session is held')
    let [session, claims] = [held, state.claims]
    if (held.pendingIdToken) {
      const verified = await verifyPending(ctx, basis, held, held.pendingIdToken, claims)
      if (verified === 'moved') return takeStored(ctx)
      if (verified) {
        ;({ session, claims } = verified)
        basis = { generation: generation + 1, record: session.id }
      }
    }
    if (ctx.now() < expiringAt(session)) return session
    // Without a refresh token, renewal is a silent sign-in, which needs a page.
    if (!session.refreshToken && typeof document === 'undefined')
      throw loginRequired('no refresh token is held')
    let next: Refreshed
    try {
      next = session.refreshToken
        ? await refreshSession({
            ...(await signatureExpectations(ctx)),
            fetch: ctx.config.fetch,
            tokenEndpoint: (await ctx.provider.metadata()).token_endpoint,
            issuer: ctx.config.issuer,
            clientId: ctx.config.clientId,
            scope: ctx.config.scope,
            now: ctx.now,
            tolerance: ctx.config.clockTolerance,
            session: { ...session, refreshToken: session.refreshToken },
            claims,
            ...(ctx.config.dpop && { dpop: ctx.config.dpop }),
          })
        : await renewSilently(ctx, session, claims)
    } catch (error) {
      throw await refreshFailed(ctx, basis, error, !!session.refreshToken)
    }
    const change = {
      session: next.session,
      claims: next.claims,
      tell: { type: 'changed' } as const,
    }
    let outcome
    try {
      outcome = await core.commit(basis, { ...change, store: 'put' })
    } catch (error) {
      // Storage refused it. The old refresh token is spent: this tab keeps the new one in
      // memory, and the spent one leaves storage, where another tab would present it again
      // (and so have the provider revoke the grant); if storage refuses that too, memory only.
      outcome = await core
        .commit(basis, { ...change, store: 'delete' })
        .catch(() =>
          core.commit(basis, { session: next.session, claims: next.claims, store: 'memory' }),
        )
      ctx.report(error as OidcError)
    }
    if (outcome !== 'done') {
      // A logout won the race: the new refresh token is revoked. Another tab's login won: its
      // grant may be the same one, so nothing is revoked, and its session is taken.
      await revokeUnlessStored(ctx, next.session)
      return takeStored(ctx)
    }
    if (next.pending) ctx.report(next.pending)
    return next.session
  })
}

/**
 * Without a refresh token: a silent sign-in, which must bring back the same user, and keeps the
 * session's DPoP key and login time.
 */
async function renewSilently(
  ctx: FlowContext,
  session: Session,
  claims: Readonly<IdTokenClaims>,
): Promise<Refreshed> {
  const next = await silentSession(ctx, {}, session.dpopKey)
  if (next.claims.sub !== claims.sub)
    throw idTokenInvalid('sub', 'the silent renewal brought another "sub"')
  // It renews the session, as a refresh does: a logout's mark set before still ends it.
  next.session.signedInAt = session.signedInAt ?? session.issuedAt
  return next
}

async function takeStored(ctx: FlowContext): Promise<Session> {
  await syncFromStorage(ctx)
  const { session } = ctx.core.held()
  if (!session || ctx.core.state().status !== 'signedIn')
    throw loginRequired('the session has ended')
  return session
}

/**
 * Verifies the ID token a refresh brought that could not be verified when it came: every check of
 * the refresh, as of when it came (`issuedAt`), with the access token it came with; an `iat` or
 * `nbf` ahead of this clock waits until it is not (a clock behind never ends a session). Returns the
 * session it completes (a new record, so that other tabs take it), `undefined` while it still
 * cannot be verified, or `moved` when the session changed meanwhile.
 */
async function verifyPending(
  ctx: FlowContext,
  basis: Basis,
  held: Session,
  pendingIdToken: string,
  claims: Readonly<IdTokenClaims>,
): Promise<{ session: Session; claims: Readonly<IdTokenClaims> } | undefined | 'moved'> {
  let verified: Readonly<IdTokenClaims>
  try {
    verified = await validateIdToken(pendingIdToken, {
      issuer: ctx.config.issuer,
      clientId: ctx.config.clientId,
      now: held.issuedAt,
      tolerance: ctx.config.clockTolerance,
      accessToken: held.accessToken,
      previous: claims,
      clockBehind: true,
      ...(await signatureExpectations(ctx)),
    })
  } catch (error) {
    if (cannotVerifyNow(error)) {
      ctx.report(error as OidcError)
      return undefined
    }
    await end(ctx, basis, error as OidcError)
    throw error
  }
  // Still ahead of this clock: it waits, as it did when it came.
  const latest = ctx.now() + ctx.config.clockTolerance
  if (verified.iat > latest || Number(verified.nbf) > latest) {
    ctx.report(new OidcError('jwks_error', 'the refreshed ID token is ahead of this clock'))
    return undefined
  }
  const { pendingIdToken: _, id: __, ...rest } = held
  const session = createSession({ ...rest, idToken: pendingIdToken })
  const outcome = await ctx.core.commit(basis, {
    session,
    claims: verified,
    store: 'put',
    tell: { type: 'changed' },
  })
  return outcome === 'done' ? { session, claims: verified } : 'moved'
}

// A refresh the provider refuses, a silent renewal it answers `login_required` (the user is
// signed out there; a timeout is no answer), or an ID token that really fails, ends the session
// in every tab; anything else (network, 5xx, 429, no answer, an ID token "from the future" that
// says this clock is behind) leaves it as it is.
async function refreshFailed(
  ctx: FlowContext,
  basis: Basis,
  error: unknown,
  refreshed: boolean,
): Promise<OidcError> {
  // A silent renewal's code exchange refused is no refused refresh: no refresh token was shown.
  if (refreshed && isRefusal(error)) {
    const ended = loginRequired('the provider no longer accepts the refresh token', error)
    await end(ctx, basis, ended)
    return ended
  }
  if (
    isOidcError(error) &&
    ((error.code === 'id_token_invalid' && !clockBehind(error)) ||
      (error.code === 'login_required' && error.error))
  ) {
    await end(ctx, basis, error)
    return error
  }
  const kept = isOidcError(error)
    ? error
    : new OidcError('token_error', 'refresh failed', { cause: safeCause(error) })
  ctx.report(kept)
  return kept
}

async function end(ctx: FlowContext, basis: Basis, error: OidcError) {
  const tell = endedMessage(error, basis.record === 'any' ? undefined : basis.record)
  const outcome = await ctx.core.commit(basis, { store: 'delete', error, tell })
  if (outcome !== 'done') await syncFromStorage(ctx)
}

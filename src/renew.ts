import type { FlowContext } from './context.js'
import { OidcError, isOidcError, safeCause } from './errors.js'
import type { IdTokenClaims } from './id-token.js'
import { cannotVerifyNow, refreshSession, type Refreshed } from './refresh.js'
import { revokeRefreshToken } from './revoke.js'
import type { Basis } from './session-core.js'
import { expiringAt, type Session } from './session.js'
import { signatureExpectations, syncFromStorage, verifyIdToken } from './sync.js'
import { isRefusal } from './token-endpoint.js'
import { withTabLock } from './tabs.js'

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
    const basis: Basis = { generation, record: stored?.id }
    const state = core.state()
    if (state.status !== 'signedIn') throw loginRequired('no session is held')
    let claims = state.claims
    if (held.pendingIdToken) {
      const pending = { ...held, pendingIdToken: held.pendingIdToken }
      const verified = await verifyPending(ctx, basis, pending, claims)
      if (verified === 'moved') return takeStored(ctx)
      if (verified !== claims)
        [basis.generation, basis.record, claims] = [generation + 1, held.id, verified]
    }
    if (ctx.now() < expiringAt(held)) return core.held().session ?? held
    if (!held.refreshToken) throw loginRequired('no refresh token is held')
    let next: Refreshed
    try {
      next = await refreshSession({
        ...(await signatureExpectations(ctx)),
        fetch: ctx.config.fetch,
        tokenEndpoint: (await ctx.provider.metadata()).token_endpoint,
        issuer: ctx.config.issuer,
        clientId: ctx.config.clientId,
        scope: ctx.config.scope,
        now: ctx.now,
        tolerance: ctx.config.clockTolerance,
        session: { ...held, refreshToken: held.refreshToken },
        claims,
      })
    } catch (error) {
      throw await refreshFailed(ctx, basis, error)
    }
    const change = { session: next.session, claims: next.claims }
    let outcome
    try {
      outcome = await core.commit(basis, { ...change, store: 'put', tell: { type: 'changed' } })
    } catch (error) {
      // Storage refused it. The old refresh token is spent: this tab keeps the new one in
      // memory, and the spent one leaves storage, where another tab would present it again
      // (and so have the provider revoke the grant).
      outcome = await core.commit(basis, { ...change, store: 'delete' })
      ctx.report(error as OidcError)
    }
    if (outcome !== 'done') {
      // A logout won the race: the new refresh token is revoked. Another tab's login won: its
      // grant may be the same one, so nothing is revoked, and its session is taken.
      if (!(await core.read().catch(() => next.session))) await revoke(ctx, next.session)
      return takeStored(ctx)
    }
    if (next.pending) ctx.report(next.pending)
    return next.session
  })
}

async function takeStored(ctx: FlowContext): Promise<Session> {
  await syncFromStorage(ctx)
  const { session } = ctx.core.held()
  if (!session || ctx.core.state().status !== 'signedIn')
    throw loginRequired('the session has ended')
  return session
}

/** Verifies the ID token a refresh brought that could not be verified when it came. */
async function verifyPending(
  ctx: FlowContext,
  basis: Basis,
  held: Session & { pendingIdToken: string },
  claims: Readonly<IdTokenClaims>,
): Promise<Readonly<IdTokenClaims> | 'moved'> {
  let verified: Readonly<IdTokenClaims>
  try {
    verified = await verifyIdToken(ctx, held.pendingIdToken, claims)
  } catch (error) {
    if (cannotVerifyNow(error)) {
      ctx.report(error as OidcError)
      return claims
    }
    await end(ctx, basis, error as OidcError)
    throw error
  }
  const { pendingIdToken, ...rest } = held
  const outcome = await ctx.core.commit(basis, {
    session: { ...rest, idToken: pendingIdToken },
    claims: verified,
    store: 'put',
    tell: { type: 'changed' },
  })
  return outcome === 'done' ? verified : 'moved'
}

// A refresh the provider refuses, or an ID token that really fails, ends the session in every
// tab; anything else (network, 5xx, 429) leaves it as it is.
async function refreshFailed(ctx: FlowContext, basis: Basis, error: unknown): Promise<OidcError> {
  if (isRefusal(error)) {
    const ended = loginRequired('the provider no longer accepts the refresh token', error)
    await end(ctx, basis, ended)
    return ended
  }
  if (isOidcError(error) && error.code === 'id_token_invalid') {
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
  const tell = { type: 'ended', code: error.code, reason: error.reason } as const
  const outcome = await ctx.core.commit(basis, { store: 'delete', error, tell })
  if (outcome !== 'done') await syncFromStorage(ctx)
}

/** Revokes a refresh token no session holds any more (RFC 7009), best effort. */
export async function revoke(ctx: FlowContext, session: Session | undefined) {
  if (!session?.refreshToken) return
  const metadata = await ctx.provider.metadata().catch(() => undefined)
  await revokeRefreshToken(ctx.config.fetch, {
    endpoint: metadata?.revocation_endpoint,
    token: session.refreshToken,
    clientId: ctx.config.clientId,
  })
}

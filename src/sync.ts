import type { FlowContext } from './context.js'
import { OidcError, isOidcError } from './errors.js'
import {
  validateStoredIdToken,
  type IdTokenClaims,
  type SignatureExpectations,
} from './id-token.js'
import { allowedAlgorithms } from './jwks.js'
import { cannotVerifyNow } from './refresh.js'
import { revokeSession, revokeUnlessStored } from './revoke.js'
import type { Session } from './session.js'
import type { Basis } from './session-core.js'
import { endedMessage, type TabMessage } from './tabs.js'

/** The algorithms and key resolver for this provider's ID tokens. */
export async function signatureExpectations(ctx: FlowContext): Promise<SignatureExpectations> {
  const metadata = await ctx.provider.metadata()
  return {
    algorithms: allowedAlgorithms(metadata.id_token_signing_alg_values_supported),
    resolveKey: ctx.provider.resolveKey,
  }
}

/**
 * Verifies a stored ID token again: signature, `iss`, `aud` (its `exp` is not checked: the
 * session outlives the ID token).
 */
export async function verifyIdToken(
  ctx: FlowContext,
  idToken: string,
): Promise<Readonly<IdTokenClaims>> {
  const { issuer, clientId } = ctx.config
  return validateStoredIdToken(idToken, { issuer, clientId, ...(await signatureExpectations(ctx)) })
}

// Each attempt that finds the record or this tab moved on starts again; past this, the
// change that moved it has its own message coming.
const syncAttempts = 3

/**
 * Makes this tab hold what storage holds: takes over a stored session once its ID token is
 * verified, or ends this tab's session (with `ending`, the reason another tab gave) when none
 * is stored. A stored session that cannot be verified now stays stored for every tab, and this
 * tab is `signedOut` with the `jwks_error` until it can; one that really fails a check is deleted.
 */
export async function syncFromStorage(
  ctx: FlowContext,
  ending?: OidcError,
  loggedOut = false,
): Promise<void> {
  const { core } = ctx
  for (let attempt = 0; attempt < syncAttempts; attempt++) {
    const { generation, session: held, unstored } = core.held()
    // Discovery and the keys, to verify what is stored, come in the same read transaction.
    ctx.provider.preload()
    const stored = await core.read()
    // Nothing moved: not here (a commit while storage was read), nor in storage.
    if (stored?.id === held?.id && core.held().generation === generation && held) return
    if (!stored) {
      // A logout's mark may be heard of (its `storage` event) before the logout's message.
      const ended = loggedOut || (!!held && ctx.tombstone.loggedOut(held))
      // A session storage refused is this tab's alone, until a logout. The logout's tab may not
      // have known this one's refresh token (refused by storage, or behind a memory tab's mark).
      if (unstored && !ended) return
      if ((await core.commit({ generation, record: undefined }, endLocally(ending))) === 'done')
        return void (ended && (await revokeSession(ctx, held)))
      continue
    }
    let claims: Readonly<IdTokenClaims>
    try {
      claims = await verifyIdToken(ctx, stored.idToken)
    } catch (caught) {
      // Keys or discovery out of reach: "cannot verify now" is jwks_error, whatever failed.
      const error =
        isOidcError(caught) && !(caught.code === 'discovery_error')
          ? caught
          : new OidcError('jwks_error', 'the session could not be verified now', { cause: caught })
      // Storage keeps it for the tabs that can verify it. This one stops serving what it held,
      // which the stored session replaced, and tries again at its next chance.
      if (cannotVerifyNow(error)) {
        if ((await core.commit({ generation, record: stored.id }, endLocally(error))) === 'done')
          return
        continue
      }
      const outcome = await core.commit(
        { generation, record: stored.id },
        { store: 'delete', error, tell: endedMessage(error, stored.id) },
      )
      if (outcome === 'done') return
      continue
    }
    const basis = { generation, record: stored.id }
    if ((await core.commit(basis, { session: stored, claims, store: 'keep' })) === 'done') return
  }
}

/**
 * What a tab does with another tab's message. A session in memory is this tab's own: only a
 * user's logout reaches it. Any other tab reads storage again, taking the reason another tab
 * gave for an ended session.
 */
export async function followTab(ctx: FlowContext, message: TabMessage): Promise<unknown> {
  if (ctx.inMemory()) {
    if (message.type !== 'logout') return Promise.resolve()
    // Its own grant, which the tab that logged out cannot revoke.
    const { session } = ctx.core.held()
    return ctx.core
      .commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
      .then(() => revokeSession(ctx, session))
  }
  const ending =
    message.type === 'ended' && message.code
      ? new OidcError(
          message.code,
          'the session ended in another tab',
          message.reason ? { reason: message.reason } : {},
        )
      : undefined
  // The record this tab holds ended, and why: ended here at once, since storage may still show
  // it when the ending's delete failed and the mark it left is not readable here yet.
  const { generation, session } = ctx.core.held()
  if (ending && session && message.type === 'ended' && message.record === session.id) {
    const outcome = await ctx.core.commit(
      { generation, record: session.id },
      { store: 'delete', error: ending },
    )
    if (outcome === 'done') return
  }
  return syncFromStorage(ctx, ending, message.type === 'logout')
}

/** The logouts a sign-in in the background must yield to, counted from when it starts. */
export interface Logouts {
  /** The logout mark (`core.logoutMark()`). */
  mark: unknown
  /** Messages heard: a memory tab hears of IndexedDB tabs' logouts only so. */
  heard: number | undefined
}

export function logoutsSince(ctx: FlowContext): Promise<Logouts> {
  const heard = ctx.inMemory() ? ctx.heard() : undefined
  return ctx.core.logoutMark().then((mark) => ({ mark, heard }))
}

/**
 * Commits the session of a sign-in in the background (a silent one: not the user's login) unless
 * a logout came since it started, or the client closed: `before` is the logout mark read then,
 * and `heard` the messages heard then (each one heard since wins: any change in another tab for
 * an IndexedDB tab, a logout for a memory tab). Returns whether it was kept. One dropped is
 * revoked unless a session is stored (a login that won may share its grant).
 */
export async function commitBackground(
  ctx: FlowContext,
  basis: Basis,
  { session, claims }: { session: Session; claims: Readonly<IdTokenClaims> },
  before: unknown,
  heard?: number,
): Promise<boolean> {
  const { core } = ctx
  // A logout whose message is still on its way has left its mark: checked before the commit,
  // and again after it for one that came meanwhile.
  const loggedOut = async () => (await core.logoutMark()) !== before
  let kept =
    (heard === undefined || ctx.heard() === heard) &&
    !(await loggedOut()) &&
    !ctx.closed.aborted &&
    (await core.commit(basis, { session, claims, store: 'put', tell: { type: 'changed' } })) ===
      'done'
  if (kept && (await loggedOut())) {
    kept = false
    const taken = { generation: core.held().generation, record: session.id }
    // Taken back; if the logout deleted it first, this tab follows storage.
    if ((await core.commit(taken, { store: 'delete', tell: { type: 'changed' } })) !== 'done')
      await syncFromStorage(ctx, undefined, true)
  }
  if (!kept) await revokeUnlessStored(ctx, session)
  return kept
}

const endLocally = (error?: OidcError) =>
  error ? { store: 'keep' as const, error } : { store: 'keep' as const }

/**
 * The first restore: the stored session, verified, or `signedOut`. When IndexedDB cannot be
 * used, the client carries on in memory and the state says so (`storage_error`). With
 * `silent`, nothing stored means one silent sign-in first (the state is `initializing` until
 * it ends); its failure is the error of the `signedOut` state.
 */
export async function restore(
  ctx: FlowContext,
  silent?: () => Promise<{ session: Session; claims: Readonly<IdTokenClaims> }>,
): Promise<void> {
  try {
    let failed: OidcError | undefined
    const { generation } = ctx.core.held()
    const heard = ctx.heard()
    // Read with the session, in one transaction.
    const mark = silent && ctx.core.logoutMark()
    if (silent && !(await ctx.core.read())) {
      // Not the user's login: it applies only while nothing came meanwhile (a login or logout
      // here or in another tab, even one that left nothing stored); else the rounds below take
      // what storage holds.
      const before = await mark
      await silent().then(
        (signedIn) =>
          commitBackground(ctx, { generation, record: undefined }, signedIn, before, heard),
        (error) => void (failed = isOidcError(error) ? error : undefined),
      )
    }
    for (let round = 0; round < syncAttempts && ctx.core.state().status === 'initializing'; round++)
      await syncFromStorage(ctx, failed)
  } catch (caught) {
    ctx.useMemory()
    const error = isOidcError(caught)
      ? caught
      : new OidcError('storage_error', 'the session could not be read', { cause: caught })
    const { generation } = ctx.core.held()
    await ctx.core.commit({ generation, record: 'any' }, endLocally(error))
  }
  // Other tabs kept changing the record while this one verified: signed out for now, and
  // their messages bring this tab in step.
  if (ctx.core.state().status === 'initializing')
    await ctx.core.commit({ generation: 'any', record: 'any' }, endLocally())
}

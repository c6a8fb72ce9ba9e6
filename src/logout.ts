import type { FlowContext } from './context.js'
import { requireObject, requireSecureUrl } from './config.js'
import { generateRandom } from './random.js'
import { revokeSession } from './revoke.js'
import type { Session } from './session.js'
import { sweepTransactions } from './redirect-login.js'

/** Options of `logout()`. */
export interface LogoutOptions {
  /** Clear the session here and in other tabs, but do not go to the provider. */
  localOnly?: boolean
  /** Overrides the client's `postLogoutRedirectUri` for this logout. */
  postLogoutRedirectUri?: string
}

/**
 * Ends the session in every tab, even when storage refuses the delete (a tombstone then ends
 * it at the next read), revokes the refresh tokens held here and stored (best effort), and
 * returns the provider's end-session URL, if it has one and `localOnly` is not set.
 */
export async function logoutSession(
  ctx: FlowContext,
  options: LogoutOptions,
): Promise<string | undefined> {
  requireObject(options, 'logout options')
  const postLogoutRedirectUri = options.postLogoutRedirectUri ?? ctx.config.postLogoutRedirectUri
  // Held to the rules of the one given at construction.
  if (options.postLogoutRedirectUri !== undefined)
    requireSecureUrl(options as Record<string, unknown>, 'postLogoutRedirectUri')
  const { session: held } = ctx.core.held()
  // A tab that could not verify the stored session holds none, but its refresh token is live.
  const stored = await ctx.core.read().catch(() => undefined)
  // A tab whose session is in memory cannot delete the one IndexedDB tabs share (nor knows of
  // it): the mark, set before they hear of this logout, ends it in them and in those opened later.
  if (ctx.inMemory()) ctx.tombstone.set(Date.now())
  // Another tab's refresh may have stored a newer session since the read: the one deleted.
  let removed: Session | undefined
  await ctx.core.commit(
    { generation: 'any', record: 'any' },
    { store: 'delete', logout: true, tell: { type: 'logout' }, removed: (s) => (removed = s) },
  )
  void sweepTransactions(ctx)
  const ended = new Map([held, stored, removed].map((session) => [session?.id, session]))
  await Promise.all([...ended.values()].map((session) => revokeSession(ctx, session)))
  if (options.localOnly) return undefined
  const { end_session_endpoint } = await ctx.provider.metadata()
  if (!end_session_endpoint) return undefined
  const url = new URL(end_session_endpoint)
  const idToken = (held ?? stored ?? removed)?.idToken
  url.searchParams.set('client_id', ctx.config.clientId)
  if (idToken) url.searchParams.set('id_token_hint', idToken)
  if (postLogoutRedirectUri) url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri)
  // Some providers honour post_logout_redirect_uri only together with state.
  url.searchParams.set('state', generateRandom())
  return url.href
}

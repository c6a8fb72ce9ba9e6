import type { FlowContext } from './context.js'
import type { Session } from './session.js'

const revoked = new WeakSet<Session>()

/**
 * Revokes the refresh token of a session no tab holds any more (RFC 7009), as a logout's last
 * courtesy: a few seconds at most, and never an error, since the session has already ended here.
 */
export async function revokeSession(ctx: FlowContext, session: Session | undefined) {
  // Several paths may drop one session (a followed logout, then the flow it interrupted).
  if (!session || revoked.has(session)) return
  revoked.add(session)
  const token = session.refreshToken
  // Taken out of the config: a native fetch called as a method of another object throws.
  const { fetch: fetchFn, clientId } = ctx.config
  const endpoint =
    token && (await ctx.provider.metadata().catch(() => undefined))?.revocation_endpoint
  if (!endpoint) return
  await fetchFn(endpoint, {
    method: 'POST',
    credentials: 'omit',
    // A 307 would send the refresh token on to wherever it points.
    redirect: 'manual',
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: clientId }),
    signal: AbortSignal.timeout(3000),
  }).catch(() => {})
}

/**
 * Revokes a session dropped in a race unless a session is stored: nothing is when a logout won,
 * while a login that won may share this one's grant, which revoking it would end.
 */
export async function revokeUnlessStored(ctx: FlowContext, session: Session) {
  if (!(await ctx.core.read().catch(() => session))) await revokeSession(ctx, session)
}

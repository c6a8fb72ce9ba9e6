import type { FlowContext } from './context.js'
import type { Session } from './session.js'

const revocationTimeoutMs = 3000

/**
 * Revokes a refresh token (RFC 7009) as a logout's last courtesy: a few seconds at most, and
 * never an error, since the session has already ended on this side.
 */
export async function revokeRefreshToken(
  fetchFn: typeof fetch,
  { endpoint, token, clientId }: { endpoint: string | undefined; token: string; clientId: string },
): Promise<void> {
  if (!endpoint) return
  await fetchFn(endpoint, {
    method: 'POST',
    credentials: 'omit',
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: clientId }),
    signal: AbortSignal.timeout(revocationTimeoutMs),
  }).catch(() => {})
}

/** Revokes the refresh token of a session no tab holds any more, best effort. */
export async function revokeSession(ctx: FlowContext, session: Session | undefined) {
  if (!session?.refreshToken) return
  const metadata = await ctx.provider.metadata().catch(() => undefined)
  await revokeRefreshToken(ctx.config.fetch, {
    endpoint: metadata?.revocation_endpoint,
    token: session.refreshToken,
    clientId: ctx.config.clientId,
  })
}

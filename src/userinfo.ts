import type { FlowContext } from './context.js'
import { OidcError, isOidcError } from './errors.js'
import { heldToken, sendWithToken } from './authorized-fetch.js'
import { fetchJson } from './http.js'
import { deepFreeze } from './freeze.js'

/** The userinfo endpoint's answer: its claims, as the provider sent them. */
export type UserInfo = Readonly<Record<string, unknown> & { sub: string }>

const userinfoError = (message: string) => new OidcError('userinfo_error', message)

/**
 * Asks the userinfo endpoint (Core 5.3) with the access token (DPoP-bound when the session is).
 * The answer must be a JSON object
 * whose `sub` is the session's (Core 5.3.4); it is returned frozen, apart from the validated
 * claims. Anything else is `userinfo_error`.
 */
export async function fetchUserInfo(
  ctx: FlowContext,
  accessToken: () => Promise<string>,
): Promise<UserInfo> {
  const { userinfo_endpoint } = await ctx.provider.metadata()
  if (!userinfo_endpoint) throw userinfoError('the provider has no userinfo endpoint')
  const held = await heldToken(ctx, accessToken)
  const state = ctx.core.state()
  if (state.status !== 'signedIn') throw new OidcError('login_required', 'the session has ended')
  const { ok, status, body } = await fetchJson(
    (url, init) =>
      // The DPoP sender's own failure (a nonce it cannot read) is this endpoint's.
      sendWithToken(ctx, new Request(url, init), held).catch((error: unknown) => {
        if (!isOidcError(error)) throw error
        throw new OidcError('userinfo_error', error.message, { error: error.error, cause: error })
      }),
    userinfo_endpoint,
    'userinfo_error',
    // Never to where a redirect points, with the token (its answer is status 0: refused).
    { redirect: 'manual' },
  )
  if (!ok) throw userinfoError(`userinfo endpoint answered HTTP ${status}`)
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw userinfoError('userinfo answer is not a JSON object')
  if ((body as { sub?: unknown }).sub !== state.claims.sub)
    throw userinfoError('userinfo "sub" is not the session\'s')
  return deepFreeze(body as UserInfo)
}

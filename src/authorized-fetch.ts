import type { FlowContext } from './context.js'
import { nonces, sendWithProof } from './dpop-binding.js'
import { OidcError } from './errors.js'

// Only what `getAccessToken()` served, with the key of the session it came from.
type TokenSource = () => Promise<string>

/** The access token for `url`, with the key pair it is bound to; refuses any origin not allowed. */
async function tokenFor(ctx: FlowContext, url: string, accessToken: TokenSource) {
  const target = new URL(url, typeof location === 'undefined' ? undefined : location.href)
  const { origin } = target
  const allowed =
    ctx.config.apiOrigins ?? (typeof location === 'undefined' ? [] : [location.origin])
  if (!allowed.includes(origin))
    throw new OidcError('invalid_config', `${origin} is not one of the "apiOrigins"`)
  const token = await accessToken()
  const { session } = ctx.core.held()
  // A login or logout in between: the token and the held key may no longer belong together.
  if (session?.accessToken !== token)
    throw new OidcError('login_required', 'the session changed while the token was read')
  const { dpop } = ctx.config
  const binding = dpop && session.dpopKey && { dpop, keyPair: session.dpopKey }
  return { htu: target.href, origin, token, binding }
}

/**
 * `fetch` with the access token attached, for allowed origins only (SPEC "Using the tokens").
 * Redirects are not followed: a browser may keep `Authorization` across origins, and none
 * drops `DPoP`; the app gets the `opaqueredirect` answer instead.
 */
export async function authorizedFetch(
  ctx: FlowContext,
  accessToken: TokenSource,
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, { ...init, redirect: 'manual' })
  const { token, binding } = await tokenFor(ctx, request.url, accessToken)
  request.headers.set('Authorization', `${binding ? 'DPoP' : 'Bearer'} ${token}`)
  return binding
    ? sendWithProof(ctx.config.fetch, request, binding, token)
    : ctx.config.fetch(request)
}

/** The headers `authorizedFetch` would send, for another HTTP client. */
export async function authorizationHeaders(
  ctx: FlowContext,
  accessToken: TokenSource,
  method: string,
  url: string,
): Promise<Record<string, string>> {
  const { htu, origin, token, binding } = await tokenFor(ctx, url, accessToken)
  if (!binding) return { Authorization: `Bearer ${token}` }
  const nonce = nonces.get(origin)
  return {
    Authorization: `DPoP ${token}`,
    DPoP: await binding.dpop.proof(binding.keyPair, {
      htm: method,
      htu,
      nonce,
      accessToken: token,
    }),
  }
}

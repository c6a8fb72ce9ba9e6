import type { FlowContext } from './context.js'
import { dpopBinding } from './dpop-binding.js'
import { OidcError } from './errors.js'

// `getAccessToken()`: refreshes first when due.
type TokenSource = () => Promise<string>

/** The access token and the key it is bound to, as the session holds them together. */
export async function heldToken(ctx: FlowContext, accessToken: TokenSource) {
  const token = await accessToken()
  const { session } = ctx.core.held()
  // A login or logout in between: the token and the held key may no longer belong together.
  if (session?.accessToken !== token) throw new OidcError('login_required', 'the session has ended')
  return { token, keyPair: session.dpopKey }
}

/** Sends `request` with the token in `Authorization`, and a DPoP proof when it is bound. */
export function sendWithToken(
  ctx: FlowContext,
  request: Request,
  { token, keyPair }: Awaited<ReturnType<typeof heldToken>>,
): Promise<Response> {
  const { fetch } = ctx.config
  const { dpop: bound } = dpopBinding(ctx.config.dpop, keyPair)
  request.headers.set('Authorization', `${bound ? 'DPoP' : 'Bearer'} ${token}`)
  return bound ? bound.dpop.send(fetch, request, bound.keyPair, token) : fetch(request)
}

/**
 * `input` as a request, resolved and normalized as `fetch` and `XMLHttpRequest` do: against the
 * document's base URL, with the method's case. A request no browser could send is `invalid_config`.
 */
function toRequest(input: RequestInfo | URL, init?: RequestInit): Request {
  try {
    return new Request(input, init)
  } catch {
    // No cause: the platform's message repeats the URL, which may carry more than it should show.
    throw new OidcError('invalid_config', 'not a request a browser could send')
  }
}

/** The access token for `request` and the key it is bound to; refuses an origin not allowed. */
async function tokenFor(ctx: FlowContext, request: Request, accessToken: TokenSource) {
  const { origin } = new URL(request.url)
  const here = typeof location === 'undefined' ? undefined : location.origin
  if (!(ctx.config.apiOrigins ?? [here]).includes(origin))
    throw new OidcError('invalid_config', `${origin} is not in "apiOrigins"`)
  return heldToken(ctx, accessToken)
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
  const request = toRequest(input, { ...init, redirect: 'manual' })
  return sendWithToken(ctx, request, await tokenFor(ctx, request, accessToken))
}

/** The headers `authorizedFetch` would send, for another HTTP client. */
export async function authorizationHeaders(
  ctx: FlowContext,
  accessToken: TokenSource,
  method: string,
  url: string,
): Promise<Record<string, string>> {
  const request = toRequest(url, { method })
  const { token, keyPair } = await tokenFor(ctx, request, accessToken)
  const { dpop: bound } = dpopBinding(ctx.config.dpop, keyPair)
  return bound
    ? {
        Authorization: `DPoP ${token}`,
        DPoP: await bound.dpop.proof(bound.keyPair, {
          htm: request.method,
          htu: request.url,
          accessToken: token,
        }),
      }
    : { Authorization: `Bearer ${token}` }
}

import { requireObject } from './config.js'
import type { FlowContext } from './context.js'
import { OidcError, isOidcError } from './errors.js'
import { awaitAnswer, dropLogin, flowMarks } from './handoff.js'
import type { LoginOptions } from './login.js'
import { createLogin, redeemCallback } from './redirect-login.js'

// What a provider answers to `prompt=none` when it would have to show the user something.
const interactionErrors = [
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
]

const loginRequired = (message: string) => new OidcError('login_required', message)

/**
 * A login with `prompt=none` in a hidden iframe on the redirect URI, redeemed with every check
 * of a redirect login; commits nothing. The provider wanting the user, blocked third-party
 * cookies (the provider then sees no session), a provider that refuses to be framed and the
 * timeout all reject `login_required`. The iframe is always removed.
 */
export async function silentSession(
  ctx: FlowContext,
  options?: LoginOptions,
  dpopKey?: CryptoKeyPair,
) {
  const { url, state } = await createLogin(
    ctx,
    { ...requireObject(options ?? {}, 'login options'), prompt: 'none' },
    { stateMark: flowMarks.silent, dpopKey },
  )
  const frame = document.createElement('iframe')
  frame.hidden = true
  try {
    // No answer is not the provider saying the user is signed out: this error carries no `error`.
    const answer = awaitAnswer(ctx, state, ctx.config.silentTimeout, () =>
      loginRequired('the provider did not answer the silent sign-in in time'),
    )
    frame.src = url
    // `init({ silent: true })` may run from the document's head, before there is a body.
    ;(document.body ?? document.documentElement).append(frame)
    return await redeemCallback(ctx, (await answer).url, dpopKey)
  } catch (error) {
    await dropLogin(ctx, state)
    throw isOidcError(error) &&
      error.code === 'authorization_error' &&
      interactionErrors.includes(error.error as string)
      ? new OidcError('login_required', `the provider answered "${error.error}"`, {
          error: error.error,
          errorDescription: error.errorDescription,
          cause: error,
        })
      : error
  } finally {
    frame.remove()
  }
}

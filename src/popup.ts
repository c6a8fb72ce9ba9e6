import type { FlowContext } from './context.js'
import { OidcError } from './errors.js'
import { awaitAnswer, dropLogin, flowMarks } from './handoff.js'
import type { LoginOptions } from './login.js'
import { createLogin, redeemCallback, type Redeemed } from './redirect-login.js'

/**
 * Opens the login popup. Synchronous, so that it runs inside the user's gesture: browsers
 * block a popup opened after an `await`.
 */
export function openPopup(): Window {
  const popup = window.open('about:blank', '_blank', 'popup,width=500,height=640')
  if (!popup) throw new OidcError('popup_blocked', 'the browser blocked the login popup')
  return popup
}

// A provider page that sends Cross-Origin-Opener-Policy cuts the popup off from this tab,
// which then sees it as closed while it lives on. Whether this provider does is learnt from
// each answer; until a popup has come back with its opener, a closed popup is not believed.
const severingKey = (ctx: FlowContext) => `${ctx.name}coop`

/** Remembers whether this provider severs the popup; `undefined` forgets it. */
function remember(ctx: FlowContext, severed: boolean | undefined) {
  try {
    if (severed === undefined) localStorage.removeItem(severingKey(ctx))
    else localStorage.setItem(severingKey(ctx), severed ? '1' : '0')
  } catch {}
}

function keepsOpener(ctx: FlowContext): boolean {
  try {
    return localStorage.getItem(severingKey(ctx)) === '0'
  } catch {
    return false
  }
}

/**
 * Runs a login in `popup` and redeems the authorization response that the redirect URI page in
 * the popup hands back, with every check of a redirect login; commits nothing. Rejects
 * `popup_closed` or `popup_timeout`, or as a redirect callback would; the login's transaction is
 * then deleted, and the popup closed.
 */
export async function popupSession(
  ctx: FlowContext,
  popup: Window,
  options?: LoginOptions,
): Promise<Redeemed> {
  let state: string | undefined
  try {
    const login = await createLogin(ctx, options, { stateMark: flowMarks.popup })
    state = login.state
    const believeClosed = keepsOpener(ctx)
    const answer = awaitAnswer(
      ctx,
      state,
      ctx.config.popupTimeout,
      () => new OidcError('popup_timeout', 'the login popup did not answer in time'),
      () => {
        if (!believeClosed || !popup.closed) return undefined
        // The provider may have started sending COOP: one wrong guess costs this login only.
        remember(ctx, undefined)
        return new OidcError('popup_closed', 'the login popup was closed')
      },
    )
    popup.location.href = login.url
    const { url, severed } = await answer
    remember(ctx, severed)
    return await redeemCallback(ctx, url)
  } catch (error) {
    if (state) await dropLogin(ctx, state)
    throw error
  } finally {
    popup.close()
  }
}

import { stripCallbackParameters } from './callback.js'
import type { FlowContext } from './context.js'
import { OidcError } from './errors.js'
import { toLoginTransaction } from './login.js'
import { parseUrl } from './url.js'
import { redeemCallback, transactionKey, type Redeemed } from './redirect-login.js'

/**
 * A popup or silent login ends on the redirect URI in a window of its own: the popup, or the
 * hidden iframe. That page hands the response back to the tab that started the login over a
 * BroadcastChannel named by the login's `state` (same-origin, and needing no `window.opener`,
 * which a provider's `Cross-Origin-Opener-Policy` takes away); that tab completes the login.
 * The `state` of such a login ends with its flow's mark, so the page can tell at once.
 */
export const flowMarks = { popup: '.p', silent: '.s' }

/**
 * The `state` of an answer, read only as far as handing it back needs. The tab that redeems it
 * checks every rule: a response that breaks one (a repeated parameter) fails there at once,
 * instead of leaving that tab waiting until its timeout.
 */
const answerState = (url: string) => {
  const states = parseUrl(url)?.searchParams.getAll('state')
  return states?.length === 1 ? states[0] : undefined
}

/** True for a URL whose `state` carries a flow's mark (the stored transaction still decides). */
export const isHandoffUrl = (url: string) => /\.[ps]$/.test(answerState(url) ?? '')

/** What the page in the popup or the iframe sends: the response, and whether it lost its opener. */
interface Answer {
  url: string
  severed: boolean
}

const channelName = (ctx: FlowContext, state: string) => ctx.name + state

// How long the popup waits for its tab to take the answer before it closes anyway.
const handBackWaitMs = 10_000

/**
 * The callback on the redirect URI. A redirect login is redeemed here; a popup or silent login's
 * answer goes back to the tab that started it, and this never settles. The address bar loses
 * the response first (at once, before anything is awaited), except in the popup or iframe,
 * which keeps its URL (`isCallback()` stays true) until it goes away.
 */
export async function redeemAtRedirectUri(ctx: FlowContext, url: string): Promise<Redeemed> {
  const clearAddressBar = () => {
    if (typeof location !== 'undefined' && url === location.href)
      history.replaceState(history.state, '', stripCallbackParameters(url))
  }
  // Storage that cannot tell whether this is a hand-off redeems nothing here: the opening tab
  // may still be waiting for this response.
  if (isHandoffUrl(url))
    await handBack(ctx, url).catch((error) => (clearAddressBar(), Promise.reject(error)))
  clearAddressBar()
  return redeemCallback(ctx, url)
}

/**
 * On the redirect URI, for a `state` with a flow's mark: when the response belongs to a pending
 * popup or silent login, hands it to the tab that started it and returns a promise that never
 * settles (the popup closes once that tab has it; the iframe is removed). Else `false`.
 */
async function handBack(ctx: FlowContext, url: string): Promise<false> {
  const state = answerState(url) as string
  // Only a login this browser started and has not completed is handed back.
  const stored = await ctx.transactions.get(transactionKey(state))
  if (!toLoginTransaction(stored, ctx.now())) return false
  const channel = new BroadcastChannel(channelName(ctx, state))
  const answer: Answer = { url, severed: state.endsWith(flowMarks.popup) && !window.opener }
  // The popup closes once the other tab has the answer, so it never sees it close first; or
  // after a while without a taker (that tab closed, or gave up): the message stays posted.
  const done = () => (clearTimeout(timer), channel.close(), window.close())
  const timer = setTimeout(done, handBackWaitMs)
  channel.onmessage = done
  channel.postMessage(answer)
  return new Promise<never>(() => {})
}

/**
 * Waits in the starting tab for the answer to the login of `state`, for `seconds` at most;
 * `isClosed` says when its window went away, and a closed client stops waiting. Only this
 * state's answer, from this origin, is taken; the channel and timers are released once it
 * settles, so a late answer finds no one.
 */
export function awaitAnswer(
  ctx: FlowContext,
  state: string,
  seconds: number,
  timeout: () => OidcError,
  isClosed?: () => OidcError | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const channel = new BroadcastChannel(channelName(ctx, state))
    const settle = (done: () => void) => {
      clearTimeout(timer)
      clearInterval(poll)
      channel.close()
      ctx.closed.removeEventListener('abort', clientClosed)
      done()
    }
    const clientClosed = () =>
      settle(() => reject(new OidcError('invalid_config', 'the client is closed')))
    const timer = setTimeout(() => settle(() => reject(timeout())), seconds * 1000)
    const poll = setInterval(() => {
      const closed = isClosed?.()
      if (closed) settle(() => reject(closed))
    }, 300)
    channel.onmessage = ({ data, origin }: MessageEvent) => {
      const { url, severed } = (data ?? {}) as Partial<Answer>
      if (origin !== location.origin || typeof url !== 'string' || answerState(url) !== state)
        return
      channel.postMessage('taken')
      settle(() => resolve({ url, severed: severed === true }))
    }
    // Closed while the login was being made: no abort event is coming.
    if (ctx.closed.aborted) clientClosed()
    else ctx.closed.addEventListener('abort', clientClosed)
  })
}

/** Deletes the transaction of a login that ended without an answer. */
export const dropLogin = (ctx: FlowContext, state: string) =>
  ctx.transactions.del(transactionKey(state)).catch(() => {})

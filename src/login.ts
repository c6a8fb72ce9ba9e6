import { OidcError } from './errors.js'
import { calculateCodeChallenge, generateRandom } from './random.js'
import { loginLifetime, requireObject, requireSeconds, type ResolvedConfig } from './config.js'
import { isDpopKeyPair } from './dpop-binding.js'

/** Options of `login()` and `createLoginUrl()`. */
export interface LoginOptions {
  /** Handed back by `handleRedirectCallback()`, e.g. the path to return to. */
  returnTo?: string
  prompt?: string
  loginHint?: string
  /** Seconds; overrides the client's `maxAge` for this login. */
  maxAge?: number
  uiLocales?: string
  acrValues?: string
  /** More authorization request parameters; they cannot replace the ones oidc-browser sets. */
  extraParams?: Record<string, string>
}

/** What a login leaves behind for its callback. Stored under its `state`. */
export interface LoginTransaction {
  nonce: string
  codeVerifier: string
  createdAt: number
  maxAge?: number
  returnTo?: string
  /** The DPoP key pair the code is bound to (`dpop_jkt`), when DPoP is on. */
  dpopKey?: CryptoKeyPair
}

// The parameters oidc-browser owns: an extraParams entry may not replace them.
const protocolParameters = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'prompt',
  'login_hint',
  'max_age',
  'ui_locales',
  'acr_values',
  'request',
  'request_uri',
  'dpop_jkt',
])

const stringOptions = [
  ['prompt', 'prompt'],
  ['loginHint', 'login_hint'],
  ['uiLocales', 'ui_locales'],
  ['acrValues', 'acr_values'],
] as const

function invalid(message: string) {
  return new OidcError('invalid_config', message)
}

/**
 * Builds the authorization request URL (Core 3.1.2.1, RFC 7636) and the transaction to store.
 * `stateMark` ends the `state` of a popup or silent login (see `isHandoffUrl`). With DPoP, the
 * code is bound to `dpopKey` (RFC 9449 section 10): a new key pair by default, stored with the
 * transaction; the session's own for a silent renewal, which is not.
 */
export async function createAuthorizationRequest(
  config: ResolvedConfig,
  authorizationEndpoint: string,
  options: LoginOptions = {},
  now: number,
  { stateMark = '', dpopKey }: { stateMark?: string; dpopKey?: CryptoKeyPair | undefined } = {},
): Promise<{ url: string; state: string; transaction: LoginTransaction }> {
  requireObject(options, 'login options')
  const state = generateRandom() + stateMark
  const transaction: LoginTransaction = {
    nonce: generateRandom(),
    codeVerifier: generateRandom(),
    createdAt: now,
  }
  const url = new URL(authorizationEndpoint)
  const params = url.searchParams
  const { extraParams = {} } = options
  for (const [name, value] of Object.entries(requireObject(extraParams, '"extraParams"'))) {
    if (protocolParameters.has(name)) throw invalid(`"extraParams" cannot set "${name}"`)
    if (typeof value !== 'string') throw invalid(`"extraParams.${name}" must be a string`)
    params.set(name, value)
  }
  params.set('response_type', 'code')
  params.set('client_id', config.clientId)
  params.set('redirect_uri', config.redirectUri)
  params.set('scope', config.scope)
  params.set('state', state)
  params.set('nonce', transaction.nonce)
  params.set('code_challenge', await calculateCodeChallenge(transaction.codeVerifier))
  params.set('code_challenge_method', 'S256')
  if (config.dpop) {
    // A session's own key stays where the session keeps it (a memory tab's, in memory): its
    // renewal redeems the answer in this tab with it. A new one must outlive the navigation.
    const key = dpopKey ?? (transaction.dpopKey = await config.dpop.generateKey())
    params.set('dpop_jkt', await config.dpop.thumbprint(key.publicKey))
  }
  for (const [option, parameter] of stringOptions) {
    const value = options[option]
    if (value === undefined) continue
    if (typeof value !== 'string') throw invalid(`"${option}" must be a string`)
    params.set(parameter, value)
  }
  const maxAge = options.maxAge ?? config.maxAge
  if (maxAge !== undefined) {
    params.set('max_age', String(requireSeconds(maxAge, 'maxAge', 0)))
    transaction.maxAge = maxAge
  }
  if (options.returnTo !== undefined) {
    if (typeof options.returnTo !== 'string') throw invalid('"returnTo" must be a string')
    transaction.returnTo = options.returnTo
  }
  return { url: url.href, state, transaction }
}

/** Type-checks a stored transaction; `undefined` for anything else or one older than 10 minutes. */
export function toLoginTransaction(value: unknown, now: number): LoginTransaction | undefined {
  const tx = value as Partial<LoginTransaction> | undefined
  if (
    typeof tx?.nonce !== 'string' ||
    typeof tx.codeVerifier !== 'string' ||
    typeof tx.createdAt !== 'number'
  )
    return undefined
  if (now - tx.createdAt > loginLifetime || tx.createdAt > now + 60) return undefined
  if (tx.maxAge !== undefined && typeof tx.maxAge !== 'number') return undefined
  if (tx.returnTo !== undefined && typeof tx.returnTo !== 'string') return undefined
  if (tx.dpopKey !== undefined && !isDpopKeyPair(tx.dpopKey)) return undefined
  return tx as LoginTransaction
}

// The parts of the randomized session runs that stand for the browser and the provider (one
// profile's Web Locks, a token endpoint that rotates refresh tokens), the steps and the invariants.
import type { Session } from '../../src/session.js'
import type { origin } from './session-faults-support.js'

/** A tab of the runs: the fixture's, and whether its session is `persist: 'memory'`. */
type Tab = ReturnType<ReturnType<typeof origin>['tab']> & { memory: boolean }

/** Each tab's token (`!`: held in memory only, storage refused it), storage's, the faults. */
export function summary(tabs: Tab[], stored: Session | undefined, faults: Record<string, boolean>) {
  const tab = ({ core }: Tab) =>
    `${core.held().session?.accessToken ?? 'out'}${core.held().unstored ? '!' : ''}`
  const refused = Object.entries(faults).flatMap(([name, on]) => (on ? [` ${name}-refused`] : []))
  return `${tabs.map(tab).join(' ')} stored ${stored?.accessToken ?? 'none'}${refused.join('')}`
}

/**
 * The invariant a settled origin breaks, if any: no refresh token presented twice; `signedIn`
 * exactly when a session is held; and each IndexedDB tab serving the live stored session, or
 * none when none is stored. A session storage refused, or a memory tab's, is that tab's alone
 * until a logout; a tab that cannot verify the stored session now says so (`jwks_error`) and
 * takes it at its next chance.
 */
export function brokenInvariant(tabs: Tab[], stored: Session | undefined, reused: string[]) {
  if (reused.length > 0) return `a spent refresh token was presented: ${reused}`
  for (const [index, tab] of tabs.entries()) {
    const { session, unstored } = tab.core.held()
    const state = tab.core.state()
    if ((state.status === 'signedIn') !== !!session)
      return `tab ${index} is ${state.status} holding ${session ? 'a session' : 'none'}`
    if (unstored || tab.memory) continue
    if (state.status === 'signedOut' && state.error?.code === 'jwks_error') continue
    if (stored && session?.id !== stored.id)
      return `tab ${index} is ${state.status}, not serving the stored ${stored.accessToken}`
    if (!stored && session) return `tab ${index} serves ${session.accessToken}, which storage ended`
  }
  return undefined
}

// What a step may do, each as often as its weight.
const weights = {
  login: 2,
  refresh: 3,
  logout: 1,
  faults: 1,
  revokeAll: 1,
  reload: 1,
  silentReload: 1,
}
export const stepKinds = Object.entries(weights).flatMap(([kind, weight]) =>
  Array<keyof typeof weights>(weight).fill(kind as keyof typeof weights),
)

/** One lock manager for every tab, as a browser profile has: exclusive locks, granted in order. */
export function installWebLocks() {
  const queues = new Map<string, Promise<unknown>>()
  const locks = {
    request(name: string, task: () => Promise<unknown>) {
      const granted = (queues.get(name) ?? Promise.resolve()).then(task)
      queues.set(
        name,
        granted.catch(() => {}),
      )
      return granted
    },
  }
  Object.defineProperty(globalThis, 'navigator', { value: { locks } })
}

/**
 * A token endpoint that rotates refresh tokens, and revokes a grant when a spent token of it is
 * presented again (reuse detection). One answer in ten is a 503; `revokeAll` is the provider
 * ending every grant (an admin, a password change).
 */
export function grantsProvider(chance: (p: number) => boolean, idToken: string) {
  let grants = 0
  let tokens = 0
  // Each refresh token names its grant; a grant's live token is the last one it issued.
  const live = new Map<number, string>()
  const grantOf = new Map<string, number>()
  const revokedGrants = new Set<number>()
  const reused: string[] = []
  const issue = (grant: number) => {
    const token = `r${grant}.${++tokens}`
    live.set(grant, token)
    grantOf.set(token, grant)
    return token
  }
  const json = (status: number, body: object) => Response.json(body, { status })
  return {
    reused,
    grant: () => issue(++grants),
    revokeAll: () => live.forEach((_, grant) => revokedGrants.add(grant)),
    revoked: (token: string) => revokedGrants.has(grantOf.get(token)!),
    fetch: async (url: string, init: RequestInit) => {
      const body = new URLSearchParams(init.body as URLSearchParams)
      if (!url.endsWith('/token')) {
        revokedGrants.add(grantOf.get(body.get('token')!)!)
        return new Response()
      }
      const grant = grantOf.get(body.get('refresh_token')!)
      if (chance(0.1)) return json(503, {})
      if (grant === undefined || revokedGrants.has(grant))
        return json(400, { error: 'invalid_grant' })
      if (live.get(grant) !== body.get('refresh_token')) {
        reused.push(body.get('refresh_token')!)
        revokedGrants.add(grant)
        return json(400, { error: 'invalid_grant' })
      }
      return json(200, {
        access_token: `a${grant}.${tokens + 1}`,
        token_type: 'Bearer',
        expires_in: 0,
        refresh_token: issue(grant),
        // Half the answers bring a new ID token, which the keys must verify.
        ...(chance(0.5) && { id_token: idToken }),
      })
    },
  }
}

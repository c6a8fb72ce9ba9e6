// The parts of the randomized session runs that stand for the browser and the provider: one
// profile's Web Locks, and a token endpoint that rotates refresh tokens.

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

// The session-fault tests' fixture: one ID token and its claims, sessions made from it, and an
// origin whose shared vault refuses writes on demand, with tabs over it.
import { createAuthState } from '../../src/auth-state.js'
import type { FlowContext } from '../../src/context.js'
import { OidcError } from '../../src/errors.js'
import { validateStoredIdToken, type IdTokenClaims, type KeyResolver } from '../../src/id-token.js'
import { refreshSession, type RefreshOptions } from '../../src/refresh.js'
import { createSessionCore } from '../../src/session-core.js'
import { createSession, type Session } from '../../src/session.js'
import type { TabMessage } from '../../src/tabs.js'
import { createTombstone } from '../../src/tombstone.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { makeKey, mapStorage, resolverOf, sign, type TestKey } from './helpers.js'

export const issuer = 'https://id.example.com'
// Set by signIdToken, which each test file runs in `before`; importers see them once set.
export let key: TestKey
export let idToken: string
export let claims: Readonly<IdTokenClaims>
export const now = Math.floor(Date.now() / 1000)
export async function signIdToken() {
  key = await makeKey('ES256')
  idToken = await sign({ iss: issuer, aud: 'spa', sub: 'alice', iat: now, exp: now + 600 }, key)
  claims = await validateStoredIdToken(idToken, {
    issuer,
    clientId: 'spa',
    algorithms: ['ES256'],
    resolveKey: resolverOf([key.jwk]),
  })
}

/** One origin: a shared vault whose writes can be refused, and one localStorage. */
export function origin() {
  const records = createMemoryVault()
  const faults = { put: false, delete: false }
  // Each runs (once) just before, or just after, the next swap of the session: another tab's
  // work in that gap.
  type Gap = (() => Promise<unknown>) | undefined
  const gap: { beforeSessionSwap?: Gap; afterSessionSwap?: Gap } = {}
  const once = async (name: 'beforeSessionSwap' | 'afterSessionSwap') => {
    const work = gap[name]
    gap[name] = undefined
    await work?.()
  }
  const vault: Vault = {
    ...records,
    swap: async (name, next) => {
      if (name === 'session') await once('beforeSessionSwap')
      const value = next(await records.get(name))
      if (value === undefined ? faults.delete : faults.put)
        throw new OidcError('storage_error', 'refused')
      const record = await records.swap(name, next)
      if (name === 'session') await once('afterSessionSwap')
      return record
    },
    set: (name, value) => vault.swap(name, () => value),
  }
  // The refresh tokens revoked, by any tab.
  const revoked: string[] = []
  const storage = mapStorage(new Map())
  // A `persist: 'memory'` tab keeps its session in a vault of its own, and the marks neither end
  // it nor are lifted by it (as context.ts wraps them).
  // `onMark`: this tab set a mark (what other tabs get a `storage` event for).
  const tab = (
    resolveKey = resolverOf([key.jwk]),
    { memory = false, onMark }: { memory?: boolean; onMark?: (name: string) => void } = {},
  ) => {
    // Messages from other tabs this tab has heard (the channel counts them in context.ts).
    const messages = { heard: 0 }
    // What this tab told the others.
    const posted: TabMessage[] = []
    const store = createAuthState(() => {})
    const tombstone = createTombstone('ns', () => ({
      ...storage,
      setItem: (name: string, value: string) => (storage.setItem(name, value), onMark?.(name)),
    }))
    const own = createMemoryVault()
    const closing = new AbortController()
    const core = createSessionCore({
      vault: memory ? () => own : () => vault,
      bound: false,
      store,
      tombstone: memory
        ? { ...tombstone, covers: () => false, loggedOut: () => false, clear: () => {} }
        : tombstone,
      post: (message) => posted.push(message),
    })
    const ctx = {
      config: {
        issuer,
        clientId: 'spa',
        clockTolerance: 60,
        persist: memory ? 'memory' : 'indexeddb',
        fetch: async (_url: string, init: RequestInit) => {
          revoked.push(new URLSearchParams(init.body as URLSearchParams).get('token')!)
          return new Response()
        },
      },
      core,
      provider: {
        metadata: async () => ({
          id_token_signing_alg_values_supported: ['ES256'],
          revocation_endpoint: `${issuer}/revoke`,
        }),
        resolveKey,
        preload: () => {},
      },
      tombstone,
      transactions: { sweep: async () => {} },
      report: () => {},
      useMemory: () => {},
      now: () => now,
      lockName: 'refresh',
      heard: () => messages.heard,
      inMemory: () => memory,
      closed: closing.signal,
      close: () => closing.abort(),
    } as unknown as FlowContext
    return { core, ctx, messages, posted, tombstone }
  }
  // What a `persist: 'memory'` tab's logout leaves for the others: the mark alone.
  const memoryTabLogout = () => createTombstone('ns', () => storage).set(Date.now())
  return { vault, records, faults, tab, revoked, gap, memoryTabLogout, storage }
}

export const sessionOf = (accessToken: string, issuedAt = now): Session =>
  createSession({
    idToken,
    accessToken,
    refreshToken: `r-${accessToken}`,
    issuedAt,
    expiresAt: now + 300,
  })

/** A refresh of `session` (which holds a refresh token) that the token endpoint answers with `answer`. */
export const refreshWithAnswer = (
  session: Session & { refreshToken: string },
  answer: Record<string, unknown>,
  resolveKey: KeyResolver = resolverOf([key.jwk]),
  options: Partial<RefreshOptions> = {},
) =>
  refreshSession({
    fetch: (async () => Response.json(answer)) as typeof fetch,
    tokenEndpoint: `${issuer}/token`,
    issuer,
    clientId: 'spa',
    scope: 'openid',
    now: () => now,
    tolerance: 60,
    session,
    claims,
    algorithms: ['ES256'],
    resolveKey,
    ...options,
  })

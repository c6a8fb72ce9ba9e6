import type { AuthStore } from './auth-state.js'
import type { ResolvedConfig } from './config.js'
import type { OidcError } from './errors.js'
import { createProvider, type Provider } from './provider.js'
import { createSessionCore, type SessionCore } from './session-core.js'
import { createTabChannel, type TabMessage } from './tabs.js'
import { createTombstone, type Tombstone } from './tombstone.js'
import { createIdbVault, createMemoryVault, type IdbVault, type Vault } from './vault.js'

export const epochSeconds = () => Math.floor(Date.now() / 1000)

/** What the flows (restore, sync, callback, renew, logout) are given by the client. */
export interface FlowContext {
  config: ResolvedConfig
  core: SessionCore
  provider: Provider
  /** Login transactions: always IndexedDB, since they must outlive the navigation. */
  transactions: IdbVault
  /** `oidc-browser` and the client's namespace: names its channels. */
  name: string
  /** The Web Lock under which sessions are refreshed, one tab at a time. */
  lockName: string
  /** Fires an `error` event without changing the state. */
  report(error: OidcError): void
  /** Current time, epoch seconds. */
  now(): number
  /** Carries on in memory when IndexedDB cannot be used. */
  useMemory(): void
  /** Closes the channel to the other tabs, and aborts `closed`. */
  close(): void
  /** Aborted by `close()`: a flow still waiting (a popup, a silent sign-in) stops waiting. */
  closed: AbortSignal
  /** How many messages from other tabs that bear on this tab's session have come so far. */
  heard(): number
  /** The `localStorage` marks that end stored sessions IndexedDB would not delete, in every tab. */
  tombstone: Tombstone
  /** True while the session lives in this tab's memory: `persist: 'memory'`, or a fallback. */
  inMemory(): boolean
}

/**
 * What the flows of one client share: its storage, session core, provider, channel and names.
 * Makes no request; the database starts opening.
 */
export function createFlowContext(
  config: ResolvedConfig,
  {
    store,
    report,
    onMessage,
  }: {
    store: AuthStore
    report(error: OidcError): void
    onMessage(message: TabMessage): void
  },
): FlowContext {
  // Injective: no two (issuer, client id) pairs share a record, a channel or a lock.
  const namespace = JSON.stringify([config.issuer, config.clientId])
  const transactions = createIdbVault(namespace)
  let vault: Vault = config.persist === 'memory' ? createMemoryVault() : transactions
  const tombstone = createTombstone(namespace)
  // No request here, ever; but our database opens now, and the first (synchronous, slow)
  // localStorage read, which each session read makes, runs while it opens.
  if (vault === transactions) {
    transactions.open()
    tombstone.value()
  }
  const name = `oidc-browser${namespace}`
  // Memory tabs, and tabs that fell back to memory: their session is their own.
  const inMemory = () => vault !== transactions
  // Counted as they come, even while the client defers them: a background silent sign-in that
  // started before one must not commit over it (commitBackground, in sync.ts). A memory tab heeds
  // logouts only.
  let heard = 0
  const hear = (message: TabMessage) => {
    if (!inMemory() || message.type === 'logout') heard++
    onMessage(message)
  }
  const channel = createTabChannel(name, hear)
  const closing = new AbortController()
  // An ending that could not delete the stored session (a memory tab's logout, or a refused
  // delete) leaves a mark: this tab reads storage again once the mark can be read here.
  const unwatch = inMemory() ? () => {} : tombstone.watch(() => hear({ type: 'changed' }))
  return {
    config,
    core: createSessionCore({
      vault: () => vault,
      bound: !!config.dpop,
      store,
      // The mark ends stored sessions: a session in memory is never behind it, and its logins
      // do not lift the mark its own or another tab's logout left on the stored one.
      tombstone: {
        ...tombstone,
        covers: (session) => !inMemory() && tombstone.covers(session),
        loggedOut: (session) => !inMemory() && tombstone.loggedOut(session),
        clear: (seen) => void (inMemory() || tombstone.clear(seen)),
      },
      // Other tabs hear only the logouts of a session in memory.
      post: (message) => (!inMemory() || message.type === 'logout') && channel.post(message),
    }),
    transactions,
    provider: createProvider({ config, vault: () => vault, now: epochSeconds }),
    name,
    lockName: `${name}refresh`,
    report,
    now: epochSeconds,
    useMemory: () => void (vault = createMemoryVault()),
    close: () => (channel.close(), unwatch(), closing.abort()),
    closed: closing.signal,
    heard: () => heard,
    tombstone,
    inMemory,
  }
}

import type { ResolvedConfig } from './config.js'
import type { OidcError } from './errors.js'
import type { Provider } from './provider.js'
import type { SessionCore } from './session-core.js'
import type { IdbVault } from './vault.js'

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
}

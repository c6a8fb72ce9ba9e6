import { createStore, del, get, promisifyRequest, set, type UseStore } from 'idb-keyval'
import { OidcError, safeCause } from './errors.js'

/** Where records live: IndexedDB or this tab's memory, behind the same three functions. */
export interface Vault {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<void>
  del(key: string): Promise<void>
  /** Reads and deletes a record at once: of two tabs taking the same key, one gets it. */
  take(key: string): Promise<unknown>
}

// A blocked or broken IndexedDB must end in an error, never in a promise that never settles.
const storageTimeoutMs = 5000

let idbStore: UseStore | undefined

/** Our own database, never idb-keyval's default one that the host app may also use. Opened lazily. */
function getIdbStore(): UseStore {
  idbStore ??= createStore('oidc-browser', 'kv')
  return idbStore
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OidcError('storage_error', 'IndexedDB did not answer in time')),
      storageTimeoutMs,
    )
  })
  try {
    return await Promise.race([operation(), timeout])
  } catch (error) {
    throw error instanceof OidcError
      ? error
      : new OidcError('storage_error', 'IndexedDB is not available', { cause: safeCause(error) })
  } finally {
    clearTimeout(timer)
  }
}

/** A vault over IndexedDB; every key is prefixed with `namespace`. Failures are `storage_error`. */
export function createIdbVault(namespace: string): Vault {
  return {
    get: (key) => guard(async () => get(namespace + key, getIdbStore())),
    set: (key, value) => guard(async () => set(namespace + key, value, getIdbStore())),
    del: (key) => guard(async () => del(namespace + key, getIdbStore())),
    take: (key) =>
      guard(async () =>
        getIdbStore()('readwrite', (store) => {
          const record = store.get(namespace + key)
          store.delete(namespace + key)
          return promisifyRequest(record)
        }),
      ),
  }
}

/** A vault in this tab's memory: gone with the page. */
export function createMemoryVault(): Vault {
  const records = new Map<string, unknown>()
  return {
    get: async (key) => structuredClone(records.get(key)),
    set: async (key, value) => void records.set(key, structuredClone(value)),
    del: async (key) => void records.delete(key),
    take: async (key) => {
      const record = records.get(key)
      records.delete(key)
      return record
    },
  }
}

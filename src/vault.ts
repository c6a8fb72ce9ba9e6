import { promisifyRequest, type UseStore } from 'idb-keyval'
import { OidcError, safeCause } from './errors.js'

/** Where records live: IndexedDB or this tab's memory, behind the same four functions. */
export interface Vault {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown): Promise<unknown>
  /** Reads and deletes a record at once, and returns it: of two tabs taking a key, one gets it. */
  del(key: string): Promise<unknown>
  /**
   * Reads a record and, at once, replaces it with `next(record)` (deletes it if `undefined`);
   * returns the record read. Of two tabs swapping the same key, the second sees the first's.
   */
  swap(key: string, next: (record: unknown) => unknown): Promise<unknown>
}

// A blocked or broken IndexedDB must end in an error, never in a promise that never settles.
const storageTimeoutMs = 5000

let database: Promise<IDBDatabase> | undefined

/**
 * Runs `callback` in a transaction of our own database (never idb-keyval's default one, which
 * the host app may also use), opened lazily. Unlike idb-keyval's `createStore`, it lets the
 * connection go when another tab deletes or upgrades the database, which would otherwise wait
 * for as long as this tab stays open; the next call opens it again.
 */
const idbStore: UseStore = (mode, callback) => {
  if (!database) {
    const request = indexedDB.open('oidc-browser')
    request.onupgradeneeded = () => request.result.createObjectStore('kv')
    database = promisifyRequest(request)
    database.then(
      (db) => {
        db.onclose = db.onversionchange = () => {
          db.close()
          database = undefined
        }
      },
      () => {},
    )
  }
  return database.then((db) => callback(db.transaction('kv', mode).objectStore('kv')))
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

// `set` and `del` are swaps that ignore the record read.
const vaultOf = (get: Vault['get'], swap: Vault['swap']): Vault => ({
  get,
  swap,
  set: (key, value) => swap(key, () => value),
  del: (key) => swap(key, () => undefined),
})

/** A vault over IndexedDB; every key is prefixed with `namespace`. Failures are `storage_error`. */
export function createIdbVault(namespace: string): Vault {
  return vaultOf(
    (key) =>
      guard(async () =>
        idbStore('readonly', (store) => promisifyRequest(store.get(namespace + key))),
      ),
    (key, next) =>
      guard(async () =>
        idbStore('readwrite', async (store) => {
          const record = await promisifyRequest(store.get(namespace + key))
          const value = next(record)
          if (value === undefined) store.delete(namespace + key)
          else store.put(value, namespace + key)
          await promisifyRequest(store.transaction)
          return record
        }),
      ),
  )
}

/** A vault in this tab's memory: gone with the page. */
export function createMemoryVault(): Vault {
  const records = new Map<string, unknown>()
  return vaultOf(
    async (key) => structuredClone(records.get(key)),
    async (key, next) => {
      const record = records.get(key)
      const value = next(record)
      if (value === undefined) records.delete(key)
      else records.set(key, structuredClone(value))
      return record
    },
  )
}

import { del, get, promisifyRequest, set, type UseStore } from 'idb-keyval'
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

let database: Promise<IDBDatabase> | undefined

/**
 * The store idb-keyval's functions run in: our own database, never idb-keyval's default one
 * that the host app may also use, opened lazily. Unlike idb-keyval's `createStore`, it lets
 * the connection go when another tab deletes or upgrades the database, which would otherwise
 * wait for as long as this tab stays open; the next call opens it again.
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

/** A vault over IndexedDB; every key is prefixed with `namespace`. Failures are `storage_error`. */
export function createIdbVault(namespace: string): Vault {
  return {
    get: (key) => guard(async () => get(namespace + key, idbStore)),
    set: (key, value) => guard(async () => set(namespace + key, value, idbStore)),
    del: (key) => guard(async () => del(namespace + key, idbStore)),
    take: (key) =>
      guard(async () =>
        idbStore('readwrite', (store) => {
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

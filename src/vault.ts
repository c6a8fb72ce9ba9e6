import { promisifyRequest } from 'idb-keyval'
import { OidcError, safeCause } from './errors.js'

/** Where records live: IndexedDB or this tab's memory, behind the same functions. */
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

/** The IndexedDB vault, which also holds the login transactions and so can sweep them. */
export interface IdbVault extends Vault {
  /** Deletes the records whose key starts with `prefix` and that `isStale` says are stale. */
  sweep(prefix: string, isStale: (record: unknown) => boolean): Promise<void>
  /** Starts opening the database, so that the first read does not wait for it. */
  open(): void
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
function openDatabase(): Promise<IDBDatabase> {
  if (!database) {
    const request = indexedDB.open('oidc-browser')
    request.onupgradeneeded = () => request.result.createObjectStore('kv')
    const opening = (database = promisifyRequest(request))
    opening.then(
      (db) => {
        db.onclose = db.onversionchange = () => {
          db.close()
          database = undefined
        }
      },
      // A failed open (a backing store that hiccuped) is tried again at the next call.
      () => database === opening && (database = undefined),
    )
  }
  return database
}

// Transactions asked for so far: see `del`, which may join a read batch only if none came since.
let asked = 0

const idbStore = <T>(
  mode: () => IDBTransactionMode,
  callback: (store: IDBObjectStore) => Promise<T>,
): Promise<T> =>
  openDatabase().then((db) => callback(db.transaction('kv', mode()).objectStore('kv')))

type Work<T> = (store: IDBObjectStore) => Promise<T>

/** Reads that share one transaction, and the one take (`del`) that may join them. */
interface Batch {
  keys: string[]
  values: Promise<unknown[]>
  /** `asked` when the batch was made. */
  at: number
  write?: Work<unknown>
}

const storageError = (message: string, cause?: unknown) =>
  new OidcError('storage_error', message, { cause: safeCause(cause) })

/**
 * Runs one transaction with a deadline. A write whose deadline passes has an unknown outcome,
 * so it is made a known one: a transaction not yet started never starts, one still running is
 * aborted, and one that already finished reports what it did. A write reported as failed
 * never lands later.
 */
function transact<T>(mode: () => IDBTransactionMode, work: Work<T>): Promise<T> {
  asked++
  let late = false
  let transaction: IDBTransaction | undefined
  // Started from a promise: indexedDB.open throws at once where storage is denied (sandboxed frames).
  const operation = Promise.resolve()
    .then(() =>
      idbStore(mode, (store) => {
        transaction = store.transaction
        if (late) throw storageError('IndexedDB did not answer in time')
        return work(store)
      }),
    )
    .catch((error: unknown) => {
      throw error instanceof OidcError ? error : storageError('IndexedDB is not available', error)
    })
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      late = true
      try {
        transaction?.abort()
        reject(storageError('IndexedDB did not answer in time'))
      } catch {
        // Already finished: its own outcome is the answer, and it is about to settle.
        resolve(operation)
      }
    }, storageTimeoutMs)
  })
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer))
}

/** A vault over IndexedDB; every key is prefixed with `namespace`. Failures are `storage_error`. */
export function createIdbVault(namespace: string): IdbVault {
  const write =
    (key: string, next: (record: unknown) => unknown): Work<unknown> =>
    async (store) => {
      const record = await promisifyRequest(store.get(namespace + key))
      const value = next(record)
      if (value === undefined) store.delete(namespace + key)
      else store.put(value, namespace + key)
      await promisifyRequest(store.transaction)
      return record
    }
  // Reads asked for before a read transaction starts share it: on a reload, the session,
  // discovery and key set come in one. It starts before any transaction asked for after it, so
  // a read never misses a write that finished before it was asked for. A failure fails each read.
  let batch: Batch | undefined
  const get: Vault['get'] = (key) => {
    if (!batch) {
      const current: Batch = { keys: [], at: 0, values: Promise.resolve([]) }
      current.values = transact(
        () => (current.write ? 'readwrite' : 'readonly'),
        async (store) => {
          if (batch === current) batch = undefined
          const values = current.keys.map((name) => promisifyRequest(store.get(namespace + name)))
          // The write's answer first, then each read's.
          return Promise.all([current.write?.(store), ...values])
        },
      )
      current.at = asked
      batch = current
      current.values.catch(() => batch === current && (batch = undefined))
    }
    const index = batch.keys.push(key)
    return batch.values.then((values) => values[index])
  }
  const swap: Vault['swap'] = (key, next) => transact(() => 'readwrite', write(key, next))
  // A take (read and delete) asked for right after such reads, no other transaction asked for
  // between, joins their transaction: a callback reads the cached discovery and keys and takes
  // its login transaction in one. Only a delete joins: it cannot fail for want of space, which
  // would fail the reads with it.
  const del: Vault['del'] = (key) => {
    const current = batch
    if (!current || current.write || current.at !== asked) return swap(key, () => undefined)
    current.write = write(key, () => undefined)
    return current.values.then((values) => values[0])
  }
  return {
    get,
    open: () =>
      void Promise.resolve()
        .then(openDatabase)
        .catch(() => {}),
    swap,
    set: (key, value) => swap(key, () => value),
    del,
    sweep: (prefix, isStale) =>
      transact(
        () => 'readwrite',
        async (store) => {
          const from = namespace + prefix
          const cursor = store.openCursor(IDBKeyRange.bound(from, from + '\uffff'))
          cursor.onsuccess = () => {
            if (!cursor.result) return
            if (isStale(cursor.result.value)) cursor.result.delete()
            cursor.result.continue()
          }
          await promisifyRequest(store.transaction)
        },
      ),
  }
}

/** A vault in this tab's memory: gone with the page. */
export function createMemoryVault(): Vault {
  const records = new Map<string, unknown>()
  const swap: Vault['swap'] = async (key, next) => {
    const record = records.get(key)
    const value = next(record)
    if (value === undefined) records.delete(key)
    else records.set(key, structuredClone(value))
    return record
  }
  return {
    get: async (key) => structuredClone(records.get(key)),
    swap,
    set: (key, value) => swap(key, () => value),
    del: (key) => swap(key, () => undefined),
  }
}

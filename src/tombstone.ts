import { generateRandom } from './random.js'
import type { Session } from './session.js'

type MarkStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

// The ended records kept: more than the endings that can be pending at once.
const endedKept = 8

/**
 * The marks an ending leaves when IndexedDB would not delete the session: token-free (issuer,
 * client id, a time or a record id) and kept in `localStorage`, since the IndexedDB that failed
 * may fail again. A logout's mark ends every stored session issued before it; another ending's
 * ends the one record it began from, so that a login stored meanwhile stands. Both take effect
 * in every tab, at the next read.
 */
export function createTombstone(
  namespace: string,
  storage: () => MarkStorage = () => localStorage,
) {
  const key = `oidc-browser${namespace}logout`
  const endedKey = `oidc-browser${namespace}ended`
  // Which logout set the mark last: unlike the mark, a login never lifts it.
  const lastLogoutKey = `oidc-browser${namespace}lastlogout`
  // localStorage may be missing or refuse (private mode, a sandboxed frame): marks are best effort.
  const attempt = <T>(use: (storage: MarkStorage) => T): T | undefined => {
    try {
      return use(storage())
    } catch {
      return undefined
    }
  }
  const snapshot = (storage: MarkStorage) =>
    String([key, endedKey, lastLogoutKey].map((name) => storage.getItem(name)))
  const loggedOut = ({
    issuedAt,
    signedInAt = issuedAt,
  }: Pick<Session, 'issuedAt' | 'signedInAt'>) =>
    attempt((storage) => signedInAt * 1000 <= Number(storage.getItem(key) ?? NaN)) ?? false
  const endedIds = (): unknown[] => {
    const ids = attempt((storage) => JSON.parse(storage.getItem(endedKey) ?? '[]') as unknown)
    return Array.isArray(ids) ? ids : []
  }
  return {
    /** A logout at `at` (epoch ms). */
    set: (at: number) =>
      attempt((storage) => {
        storage.setItem(key, String(at))
        storage.setItem(lastLogoutKey, generateRandom())
      }),
    /** An ending, other than a logout, of the stored record `id`. */
    end: (id: string) =>
      attempt((storage) =>
        storage.setItem(endedKey, JSON.stringify([id, ...endedIds()].slice(0, endedKept))),
      ),
    /** The marks as they stand, for `clear`. */
    marks: () => attempt(snapshot),
    /** Lifts the marks, unless they changed since `marks()` gave `seen`. */
    clear: (seen?: string) =>
      attempt((storage) => {
        if (seen !== undefined && snapshot(storage) !== seen) return
        storage.removeItem(key)
        storage.removeItem(endedKey)
      }),
    /** Changes with each logout that sets the mark, and with nothing else. */
    value: () => attempt((storage) => storage.getItem(lastLogoutKey)),
    /**
     * Calls `listener` when another tab sets a mark. Its `storage` event comes once the mark is
     * readable here, which the message of the ending that set it may outrun.
     */
    watch(listener: () => void): () => void {
      if (typeof addEventListener === 'undefined') return () => {}
      const onStorage = ({ key: changed, newValue }: StorageEvent) =>
        (changed === key || changed === endedKey) && newValue && listener()
      addEventListener('storage', onStorage)
      return () => removeEventListener('storage', onStorage)
    },
    /** True when a stored session was ended since: logged out after its login, or itself. */
    covers: (session: Pick<Session, 'id' | 'issuedAt' | 'signedInAt'>) =>
      loggedOut(session) || endedIds().includes(session.id),
    /** True when a logout's mark ends the session: it was logged out after its login. */
    loggedOut,
  }
}

export type Tombstone = ReturnType<typeof createTombstone>

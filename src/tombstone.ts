type MarkStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/**
 * The mark an ending leaves when IndexedDB would not delete the session: token-free (issuer,
 * client id, time) and kept in `localStorage`, since the IndexedDB that failed may fail again.
 * A stored session issued before it is ended, in every tab, at the next read.
 */
export function createTombstone(
  namespace: string,
  storage: () => MarkStorage = () => localStorage,
) {
  const key = `oidc-browser${namespace}logout`
  // localStorage may be missing or refuse (private mode, a sandboxed frame): the mark is best effort.
  const attempt = <T>(use: (storage: MarkStorage) => T): T | undefined => {
    try {
      return use(storage())
    } catch {
      return undefined
    }
  }
  return {
    set: (at: number) => attempt((storage) => storage.setItem(key, String(at))),
    clear: () => attempt((storage) => storage.removeItem(key)),
    /** The mark as stored: changes with each mark set. */
    value: () => attempt((storage) => storage.getItem(key)),
    /**
     * Calls `listener` when another tab sets the mark. Its `storage` event comes once the mark
     * is readable here, which the message of the logout that set it may outrun.
     */
    watch(listener: () => void): () => void {
      if (typeof addEventListener === 'undefined') return () => {}
      const onStorage = (event: StorageEvent) => event.key === key && event.newValue && listener()
      addEventListener('storage', onStorage)
      return () => removeEventListener('storage', onStorage)
    },
    /** True when a session issued at `issuedAt` (epoch seconds) was logged out since. */
    covers: (issuedAt: number) =>
      attempt((storage) => {
        const at = Number(storage.getItem(key) ?? NaN)
        return issuedAt * 1000 <= at
      }) ?? false,
  }
}

export type Tombstone = ReturnType<typeof createTombstone>

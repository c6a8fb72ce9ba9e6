import type { AuthStore } from './auth-state.js'
import type { OidcError } from './errors.js'
import type { IdTokenClaims } from './id-token.js'
import { generateRandom } from './random.js'
import { toSession, type Session } from './session.js'
import type { TabMessage } from './tabs.js'
import type { Tombstone } from './tombstone.js'
import type { Vault } from './vault.js'

/** What a change was computed from. `any` is for changes that win whatever happened meanwhile. */
export interface Basis {
  /** The generation of this tab's session the change started from. */
  generation: number | 'any'
  /** The id of the stored record it started from (`undefined`: none was stored). */
  record: string | undefined | 'any'
}

/**
 * A proposed change. `store` says what happens to the stored record: `put` writes the session,
 * `delete` removes the record, `keep` leaves it (it already is what the change says).
 */
export type Change =
  | {
      session: Session
      claims: Readonly<IdTokenClaims>
      /** `memory`: this tab only, storage untouched (it refused both the write and the delete). */
      store: 'put' | 'keep' | 'delete' | 'memory'
      /** What other tabs are told once it applied. */
      tell?: TabMessage
    }
  | {
      session?: undefined
      error?: OidcError
      store: 'delete' | 'keep'
      /** A user's logout: it clears a shown error, and cannot fail here (a refused delete leaves a tombstone). */
      logout?: boolean
      tell?: TabMessage
      /** Given the session a delete took out of storage, which may be newer than any read before. */
      removed?: (session: Session) => void
    }

/** How a commit ended: applied, or refused because this tab or the stored record moved on. */
export type Outcome = 'done' | 'stale' | 'conflict'

export interface SessionCoreOptions {
  vault: () => Vault
  /** DPoP is on: only sessions bound to a key are the client's. */
  bound: boolean
  store: AuthStore
  tombstone: Tombstone
  post: (message: TabMessage) => void
}

/**
 * The one owner of the session's three copies: this tab's memory, the stored record and the
 * auth state. Flows read a basis, do their work, and propose a change; commits run one at a
 * time, and each applies only if this tab's generation and the stored record are still the
 * ones it started from, so the copies agree whenever no commit is running.
 */
export function createSessionCore({ vault, bound, store, tombstone, post }: SessionCoreOptions) {
  // The session a record holds: none for one of another shape or binding, or one an ending
  // left behind.
  const asLive = (record: unknown) => {
    const session = toSession(record, bound)
    return session && !tombstone.covers(session) ? session : undefined
  }
  let generation = 0
  let held: Session | undefined
  // A refreshed session storage refused: held here only (its spent predecessor deleted, or
  // marked ended).
  let unstored = false
  const markEnded = ({ record }: Basis) =>
    void (record === 'any' ? held && tombstone.end(held.id) : record && tombstone.end(record))
  let queue: Promise<unknown> = Promise.resolve()

  /**
   * The stored session. A record of another shape, or one an ending left behind (its delete
   * failed), counts as none and is deleted, best effort.
   */
  async function read(): Promise<Session | undefined> {
    const record = await vault().get('session')
    const session = asLive(record)
    if (record === undefined || session) return session
    // A login may have written it just before lifting the marks that cover it: its tab, and
    // every other, read storage again. Decided at the delete, since the marks may lift after.
    let removing = false
    const removed = await vault()
      .swap('session', (now) => (asLive(now) ? now : ((removing = now !== undefined), undefined)))
      .then(
        () => removing,
        () => false,
      )
    if (removed) post({ type: 'changed' })
    return undefined
  }

  async function apply(basis: Basis, change: Change): Promise<Outcome> {
    if (basis.generation !== 'any' && basis.generation !== generation) return 'stale'
    // A record a logout left behind is no record: nothing may be written over it but a login.
    const matches = (record: unknown) =>
      basis.record === 'any' || asLive(record)?.id === basis.record
    if (change.store === 'keep') {
      if (basis.record !== 'any' && !matches(await read())) return 'conflict'
    } else if (change.store === 'memory') {
      // Storage refused both the refreshed session and the spent one's delete: the mark keeps
      // any tab, this one included, from taking the spent refresh token up again.
      markEnded(basis)
    } else {
      const next = change.store === 'put' ? change.session : undefined
      // Marked before the delete, so that a background sign-in that stored its session just
      // before it sees, once committed, that a logout came: see `logoutMark`. Where storage
      // refuses the mark, the tombstone ends what was issued before this logout.
      if (!change.session && change.logout)
        await vault()
          .set('logout', generateRandom())
          .catch(() => tombstone.set(Date.now()))
      // A login lifts the marks, but not one an ending set while it was being stored.
      const login = next && basis.record === 'any'
      const marks = login && tombstone.marks()
      try {
        const before = await vault().swap('session', (record) => (matches(record) ? next : record))
        if (!matches(before)) return 'conflict'
        // Whatever it took out: the logout's own mark, set just before, may cover it already.
        const removed = !change.session && toSession(before, bound)
        if (removed) change.removed?.(removed)
      } catch (error) {
        if (change.session) throw error
        // An ending cannot fail on this side: the mark ends the record at its next read, in
        // every tab. A logout's, whatever was issued before it (and the session it ends, even
        // if the clock went back since); another ending's, the record it began from only.
        if (change.logout) tombstone.set(Math.max(Date.now(), (held?.issuedAt ?? 0) * 1000))
        else markEnded(basis)
      }
      if (login) {
        if (marks) tombstone.clear(marks)
        // A logout that came while it was being stored wins: it ends this login too (never one
        // in memory, which no mark covers). Another ending's mark names other records.
        if (tombstone.loggedOut(next)) return 'conflict'
      }
    }
    generation++
    held = change.session
    unstored = !!change.session && (change.store === 'delete' || change.store === 'memory')
    if (change.session) store.setSignedIn(change.claims, change.session.expiresAt)
    // Another tab's plain ending never wipes the reason this tab already shows.
    else if (change.error || change.logout || store.get().status !== 'signedOut')
      store.setSignedOut(change.error)
    if (change.tell) post(change.tell)
    return 'done'
  }

  return {
    read,
    state: () => store.get(),
    /**
     * What the last logout of any tab left in storage, the tombstone included (a memory tab's
     * logout leaves only that): changes with each logout. A failed read answers a value equal
     * to no other, so that it never hides a logout.
     */
    logoutMark: (): Promise<unknown> =>
      vault()
        .get('logout')
        .then(
          (mark) => `${mark} ${tombstone.value()}`,
          () => ({}),
        ),
    /** This tab's session and the generation it belongs to. */
    held: () => ({ generation, session: held, unstored }),
    /** Applies `change` if nothing moved since `basis`; one commit at a time. */
    commit(basis: Basis, change: Change): Promise<Outcome> {
      const run = queue.then(() => apply(basis, change))
      queue = run.catch(() => {})
      return run
    },
  }
}

export type SessionCore = ReturnType<typeof createSessionCore>

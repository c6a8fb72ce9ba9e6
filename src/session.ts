import { isDpopKeyPair } from './dpop-binding.js'
import { generateRandom } from './random.js'

/** The tokens of a signed-in session: in the vault, never in the auth state. */
export interface Session {
  /** Record format, so a later version can migrate or discard it. */
  v: 2
  /** Random and token-free: names this record, so a commit can tell whether it is still stored. */
  id: string
  idToken: string
  accessToken: string
  refreshToken?: string
  /** When the access token was issued, epoch seconds. */
  issuedAt: number
  /**
   * When the login this session comes from was made, epoch seconds: a refresh keeps it, so that a
   * logout's mark ends a session refreshed after it too. Absent in records stored before it was.
   */
  signedInAt?: number
  /** Access token expiry, epoch seconds. */
  expiresAt: number
  scope?: string
  /**
   * An ID token a refresh brought that could not be verified yet (its key could not be had):
   * `idToken` stays the last verified one until this one passes.
   */
  pendingIdToken?: string
  /** The DPoP key pair the tokens are bound to (non-extractable), when DPoP is on. */
  dpopKey?: CryptoKeyPair
}

/** A new session record from a token response's fields; without `signedInAt`, a login's. */
export function createSession(fields: Omit<Session, 'v' | 'id'>): Session {
  return { v: 2, id: generateRandom(), signedInAt: fields.issuedAt, ...fields }
}

const optionalStrings = ['refreshToken', 'scope', 'pendingIdToken'] as const

/**
 * Type-checks a stored session record; `undefined` for anything of another shape or version, or
 * whose DPoP binding is not the client's (`bound`: DPoP is on): a Bearer session is never used
 * as one with DPoP on, nor a bound one as Bearer.
 */
export function toSession(value: unknown, bound: boolean): Session | undefined {
  const record = value as Partial<Session> | undefined
  if (
    record?.v !== 2 ||
    typeof record.id !== 'string' ||
    typeof record.idToken !== 'string' ||
    typeof record.accessToken !== 'string' ||
    !Number.isFinite(record.expiresAt) ||
    !Number.isFinite(record.issuedAt) ||
    (record.signedInAt !== undefined && !Number.isFinite(record.signedInAt)) ||
    optionalStrings.some(
      (name) => record[name] !== undefined && typeof record[name] !== 'string',
    ) ||
    (bound ? !isDpopKeyPair(record.dpopKey) : record.dpopKey !== undefined)
  )
    return undefined
  return record as Session
}

// How long before expiry an access token counts as expiring: 60 s, or half its lifetime when
// that is shorter, so that a short-lived token is not refreshed the moment it arrives.
const expiryMarginSeconds = 60

/**
 * When the access token of a session starts expiring (`expiring` fires, refresh is due), whole
 * epoch seconds: the checks that a renewal is due compare whole seconds, and a point between two
 * (half of an odd lifetime) would make the timer fire just before they agree.
 */
export function expiringAt(session: Session): number {
  return Math.ceil(
    session.expiresAt - Math.min(expiryMarginSeconds, (session.expiresAt - session.issuedAt) / 2),
  )
}

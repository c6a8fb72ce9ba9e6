/** The tokens of a signed-in session: in the vault, never in the auth state. */
export interface Session {
  /** Record format, so a later version can migrate or discard it. */
  v: 1
  idToken: string
  accessToken: string
  refreshToken?: string
  /** When the access token was issued, epoch seconds. */
  issuedAt: number
  /** Access token expiry, epoch seconds. */
  expiresAt: number
  scope?: string
}

/** Type-checks a stored session record; `undefined` for anything of another shape or version. */
export function toSession(value: unknown): Session | undefined {
  const record = value as Partial<Session> | undefined
  if (
    record?.v !== 1 ||
    typeof record.idToken !== 'string' ||
    typeof record.accessToken !== 'string'
  )
    return undefined
  if (!Number.isFinite(record.expiresAt) || !Number.isFinite(record.issuedAt)) return undefined
  if (record.refreshToken !== undefined && typeof record.refreshToken !== 'string') return undefined
  if (record.scope !== undefined && typeof record.scope !== 'string') return undefined
  return record as Session
}

// How long before expiry an access token counts as expiring: 60 s, or half its lifetime when
// that is shorter, so that a short-lived token is not refreshed the moment it arrives.
const expiryMarginSeconds = 60

/** When the access token of a session starts expiring (`expiring` fires, refresh is due), epoch seconds. */
export function expiringAt(session: Session): number {
  return (
    session.expiresAt - Math.min(expiryMarginSeconds, (session.expiresAt - session.issuedAt) / 2)
  )
}

/** The tokens of a signed-in session: in the vault, never in the auth state. */
export interface Session {
  /** Record format, so a later version can migrate or discard it. */
  v: 1
  idToken: string
  accessToken: string
  refreshToken?: string
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
  if (typeof record.expiresAt !== 'number' || !Number.isFinite(record.expiresAt)) return undefined
  if (record.refreshToken !== undefined && typeof record.refreshToken !== 'string') return undefined
  if (record.scope !== undefined && typeof record.scope !== 'string') return undefined
  return record as Session
}

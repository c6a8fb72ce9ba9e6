// What logout() sends the provider to: the end-session URL with an id_token_hint whenever a
// session was there to end, held or only stored; and the login transactions it sweeps.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { OidcError } from '../../src/errors.js'
import { logoutSession } from '../../src/logout.js'
import {
  claims,
  idToken,
  issuer,
  origin,
  sessionOf,
  signIdToken,
} from './session-faults-support.js'

before(signIdToken)

const any = { generation: 'any', record: 'any' } as const

/** Tab A, which holds no session (it could not verify the stored one), and B, which stored one. */
async function storedElsewhere() {
  const fixture = origin()
  const [a, b] = [fixture.tab(), fixture.tab()]
  await b.core.commit(any, { session: sessionOf('b'), claims, store: 'put' })
  const swept: string[] = []
  Object.assign(a.ctx, {
    provider: {
      ...a.ctx.provider,
      metadata: async () => ({
        id_token_signing_alg_values_supported: ['ES256'],
        end_session_endpoint: `${issuer}/session/end`,
        revocation_endpoint: `${issuer}/revoke`,
      }),
    },
    transactions: { sweep: async (prefix: string) => void swept.push(prefix) },
  })
  return { ...fixture, a, swept }
}

const hintOf = (url: string | undefined) => new URL(url!).searchParams.get('id_token_hint')

test("a tab holding no session sends the stored one's id_token_hint, and sweeps transactions", async () => {
  const { a, swept, revoked } = await storedElsewhere()
  const url = await logoutSession(a.ctx, {})
  assert.equal(hintOf(url), idToken)
  assert.deepEqual(swept, ['tx:'], 'abandoned login transactions are swept at the logout')
  assert.deepEqual(revoked, ['r-b'])
})

test('a stored session the read missed (storage refused it) but the delete took: its hint too', async () => {
  const { a, vault, revoked } = await storedElsewhere()
  const { get } = vault
  vault.get = async (name) => {
    if (name === 'session') throw new OidcError('storage_error', 'refused')
    return get(name)
  }
  const url = await logoutSession(a.ctx, {})
  assert.equal(hintOf(url), idToken)
  assert.deepEqual(revoked, ['r-b'])
})

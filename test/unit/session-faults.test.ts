// The session core and its flows over a vault that fails on demand, for the races and faults
// an independent review found: each test names the SPEC sentence it holds.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { createAuthState } from '../../src/auth-state.js'
import type { FlowContext } from '../../src/context.js'
import { OidcError } from '../../src/errors.js'
import { validateStoredIdToken, type IdTokenClaims } from '../../src/id-token.js'
import { refreshSession } from '../../src/refresh.js'
import { renewSession } from '../../src/renew.js'
import { createSessionCore } from '../../src/session-core.js'
import { createSession, type Session } from '../../src/session.js'
import { followTab, restore } from '../../src/sync.js'
import type { TabMessage } from '../../src/tabs.js'
import { createTombstone } from '../../src/tombstone.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { makeKey, rejectsWith, resolverOf, sign, type TestKey } from './helpers.js'

const issuer = 'https://id.example.com'
let key: TestKey
let idToken: string
let claims: Readonly<IdTokenClaims>
const now = Math.floor(Date.now() / 1000)
before(async () => {
  key = await makeKey('ES256')
  idToken = await sign({ iss: issuer, aud: 'spa', sub: 'alice', iat: now, exp: now + 600 }, key)
  claims = await validateStoredIdToken(idToken, {
    issuer,
    clientId: 'spa',
    algorithms: ['ES256'],
    resolveKey: resolverOf([key.jwk]),
  })
})

/** One origin: a shared vault whose writes can be refused, and one localStorage. */
function origin() {
  const records = createMemoryVault()
  const faults = { put: false, delete: false }
  // Each runs (once) just before, or just after, the next swap of the session: another tab's
  // work in that gap.
  type Gap = (() => Promise<unknown>) | undefined
  const gap: { beforeSessionSwap?: Gap; afterSessionSwap?: Gap } = {}
  const once = async (name: 'beforeSessionSwap' | 'afterSessionSwap') => {
    const work = gap[name]
    gap[name] = undefined
    await work?.()
  }
  const vault: Vault = {
    ...records,
    swap: async (name, next) => {
      if (name === 'session') await once('beforeSessionSwap')
      const value = next(await records.get(name))
      if (value === undefined ? faults.delete : faults.put)
        throw new OidcError('storage_error', 'refused')
      const record = await records.swap(name, next)
      if (name === 'session') await once('afterSessionSwap')
      return record
    },
    set: (name, value) => vault.swap(name, () => value),
  }
  // The refresh tokens revoked, by any tab.
  const revoked: string[] = []
  const local = new Map<string, string>()
  const storage = {
    getItem: (name: string) => local.get(name) ?? null,
    setItem: (name: string, value: string) => void local.set(name, value),
    removeItem: (name: string) => void local.delete(name),
  }
  const tab = (resolveKey = resolverOf([key.jwk])) => {
    // Messages from other tabs this tab has heard (the channel counts them in context.ts).
    const messages = { heard: 0 }
    // What this tab told the others.
    const posted: TabMessage[] = []
    const store = createAuthState(() => {})
    const core = createSessionCore({
      vault: () => vault,
      store,
      tombstone: createTombstone('ns', () => storage),
      post: (message) => posted.push(message),
    })
    const ctx = {
      config: {
        issuer,
        clientId: 'spa',
        persist: 'indexeddb',
        fetch: async (_url: string, init: RequestInit) => {
          revoked.push(new URLSearchParams(init.body as URLSearchParams).get('token')!)
          return new Response()
        },
      },
      core,
      provider: {
        metadata: async () => ({
          id_token_signing_alg_values_supported: ['ES256'],
          revocation_endpoint: `${issuer}/revoke`,
        }),
        resolveKey,
        preload: () => {},
      },
      report: () => {},
      useMemory: () => {},
      now: () => now,
      lockName: 'refresh',
      heard: () => messages.heard,
      inMemory: () => false,
    } as unknown as FlowContext
    return { core, ctx, messages, posted }
  }
  return { vault, records, faults, tab, revoked, gap }
}

const sessionOf = (accessToken: string, issuedAt = now): Session =>
  createSession({
    idToken,
    accessToken,
    refreshToken: `r-${accessToken}`,
    issuedAt,
    expiresAt: now + 300,
  })

describe('faults and races around the session core', () => {
  test("a tab holding a session storage refused still follows another tab's logout", async () => {
    const { faults, tab } = origin()
    const [a, b] = [tab(), tab()]
    const first = sessionOf('a1')
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: first, claims, store: 'put' },
    )
    // A's refresh: storage refuses the write, so the new session stays in A's memory only.
    faults.put = true
    const basis = { generation: a.core.held().generation, record: first.id }
    await a.core.commit(basis, { session: sessionOf('a2'), claims, store: 'delete' })
    faults.put = false
    await b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    await followTab(a.ctx, { type: 'logout' })
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(a.core.held().session, undefined)
  })

  test('a refresh that lands after a logout whose delete failed does not bring the session back', async () => {
    const { faults, tab } = origin()
    const [a, b] = [tab(), tab()]
    const first = sessionOf('a1', now - 100)
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: first, claims, store: 'put' },
    )
    const basis = { generation: a.core.held().generation, record: first.id }
    faults.delete = true
    await b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    faults.delete = false
    const outcome = await a.core.commit(basis, {
      session: sessionOf('a2', now + 1),
      claims,
      store: 'put',
    })
    assert.equal(outcome, 'conflict')
    assert.equal(await tab().core.read(), undefined, 'a fresh tab finds no session')
  })

  test('a refused refresh ends the session even when storage refuses the delete', async () => {
    const { faults, tab } = origin()
    const a = tab()
    const first = sessionOf('a1', now - 100)
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: first, claims, store: 'put' },
    )
    faults.delete = true
    const ended = new OidcError('login_required', 'refused')
    const basis = { generation: a.core.held().generation, record: first.id }
    assert.equal(await a.core.commit(basis, { store: 'delete', error: ended }), 'done')
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(await tab().core.read(), undefined, 'the record left behind is not restored')
  })

  test('a restore that other tabs keep outpacing still ends, never stuck initializing', async () => {
    const { tab } = origin()
    const writer = tab()
    const put = () =>
      writer.core.commit(
        { generation: 'any', record: 'any' },
        { session: sessionOf('w'), claims, store: 'put' },
      )
    await put()
    // Each verification of this tab sees another tab store a new session meanwhile.
    const slow = tab(async (header) => (await put(), resolverOf([key.jwk])(header)))
    await restore(slow.ctx)
    assert.notEqual(slow.core.state().status, 'initializing')
  })

  test('a logout whose mark storage refuses leaves the tombstone: a session issued before it that lands later is not restored', async () => {
    const { records, faults, tab } = origin()
    faults.put = true
    await tab().core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
    faults.put = false
    // Stored behind the logout's back (another tab's write that was already on its way).
    await records.set('session', sessionOf('late', now - 100))
    assert.equal(await tab().core.read(), undefined)
  })

  describe('a background silent sign-in (init({ silent: true })) yields to what came meanwhile', () => {
    /** Tab A restores with a silent sign-in that answers only when `answer` is called. */
    async function silentRestore() {
      const { tab, revoked, gap } = origin()
      const [a, b] = [tab(), tab()]
      let answer!: () => void
      let restoring!: Promise<void>
      await new Promise<void>((asked) => {
        const silent = () => {
          asked()
          return new Promise<{ session: Session; claims: Readonly<IdTokenClaims> }>(
            (resolve) => (answer = () => resolve({ session: sessionOf('silent'), claims })),
          )
        }
        restoring = restore(a.ctx, silent)
      })
      return { a, b, revoked, gap, answer: () => answer(), restored: () => restoring }
    }

    test('a login and a logout in another tab, which leave nothing stored', async () => {
      const { a, b, revoked, answer, restored } = await silentRestore()
      const login = sessionOf('b')
      await b.core.commit(
        { generation: 'any', record: 'any' },
        { session: login, claims, store: 'put' },
      )
      await b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
      a.messages.heard += 2
      answer()
      await restored()
      assert.equal(a.core.state().status, 'signedOut', 'the logout stands in this tab')
      assert.equal(await a.core.read(), undefined, 'and in storage')
      assert.deepEqual(revoked, ['r-silent'], "the dropped sign-in's refresh token is revoked")
    })

    test("a login and a logout in another tab just before this tab's commit, their messages still on the way", async () => {
      const { a, b, revoked, gap, answer, restored } = await silentRestore()
      const login = sessionOf('b')
      const any = { generation: 'any', record: 'any' } as const
      gap.beforeSessionSwap = async () => {
        await b.core.commit(any, { session: login, claims, store: 'put' })
        await b.core.commit(any, { store: 'delete', logout: true })
      }
      answer()
      await restored()
      assert.equal(a.core.state().status, 'signedOut', 'the logout stands in this tab')
      assert.equal(await a.core.read(), undefined, 'and in storage')
      assert.deepEqual(revoked, ['r-silent'])
    })

    test('a logout in another tab before the answer, its message not here yet: nothing is stored or told', async () => {
      const { a, b, revoked, answer, restored } = await silentRestore()
      await b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
      answer()
      await restored()
      assert.equal(a.core.state().status, 'signedOut')
      assert.deepEqual(a.posted, [], 'no other tab was told of a session')
      assert.deepEqual(revoked, ['r-silent'])
    })

    test("a logout in another tab that deletes this tab's stored silent session before it is taken back", async () => {
      const { a, b, revoked, gap, answer, restored } = await silentRestore()
      gap.afterSessionSwap = () =>
        b.core.commit({ generation: 'any', record: 'any' }, { store: 'delete', logout: true })
      answer()
      await restored()
      assert.equal(a.core.state().status, 'signedOut', 'this tab follows storage')
      assert.equal(a.core.held().session, undefined)
      assert.equal(await a.core.read(), undefined)
      assert.deepEqual(revoked, ['r-silent'])
    })

    test('a login in another tab', async () => {
      const { a, b, revoked, answer, restored } = await silentRestore()
      const login = sessionOf('b')
      await b.core.commit(
        { generation: 'any', record: 'any' },
        { session: login, claims, store: 'put' },
      )
      a.messages.heard += 1
      answer()
      await restored()
      assert.equal(a.core.held().session?.id, login.id, "this tab holds the other tab's login")
      assert.equal((await a.core.read())?.id, login.id)
      assert.deepEqual(revoked, [], "nothing revoked: the login's grant may be the same")
    })

    test('nothing: the silent sign-in is committed', async () => {
      const { a, revoked, answer, restored } = await silentRestore()
      answer()
      await restored()
      assert.equal(a.core.held().session?.accessToken, 'silent')
      assert.equal((await a.core.read())?.accessToken, 'silent')
      assert.deepEqual(revoked, [])
    })
  })

  test('a refreshed ID token issued "in the future" (this clock behind) is kept pending, not fatal', async () => {
    const ahead = await sign(
      { iss: issuer, aud: 'spa', sub: 'alice', iat: now + 300, exp: now + 900 },
      key,
    )
    const fetchFn = (async () =>
      new Response(
        JSON.stringify({
          access_token: 'a2',
          token_type: 'Bearer',
          id_token: ahead,
          refresh_token: 'r2',
        }),
      )) as typeof fetch
    const refreshed = await refreshSession({
      fetch: fetchFn,
      tokenEndpoint: `${issuer}/token`,
      issuer,
      clientId: 'spa',
      scope: 'openid',
      now: () => now,
      tolerance: 60,
      session: { ...sessionOf('a1'), refreshToken: 'r1' },
      claims,
      algorithms: ['ES256'],
      resolveKey: resolverOf([key.jwk]),
    })
    assert.equal(refreshed.pending?.code, 'jwks_error')
    assert.equal(refreshed.session.pendingIdToken, ahead)
    assert.equal(refreshed.session.refreshToken, 'r2', 'the rotated tokens are kept')
    assert.equal(refreshed.claims, claims)
  })

  test('a pending ID token that really fails when its turn comes ends the session', async () => {
    const { tab } = origin()
    const a = tab()
    const forged = await sign(
      { iss: issuer, aud: 'spa', sub: 'alice' },
      await makeKey('ES256', key.kid),
    )
    const session = { ...sessionOf('a1'), pendingIdToken: forged }
    await a.core.commit({ generation: 'any', record: 'any' }, { session, claims, store: 'put' })
    await rejectsWith(renewSession(a.ctx), 'id_token_invalid', 'signature')
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(await a.core.read(), undefined, 'the session is deleted')
  })
})

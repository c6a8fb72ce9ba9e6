// A background silent sign-in (init({ silent: true })) that another tab's login or logout
// overtakes, over the session core and a vault that fails on demand: what came meanwhile wins.
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import type { IdTokenClaims } from '../../src/id-token.js'
import type { Session } from '../../src/session.js'
import { restore } from '../../src/sync.js'
import { claims, now, origin, sessionOf, signIdToken } from './session-faults-support.js'

before(signIdToken)

type Tab = ReturnType<ReturnType<typeof origin>['tab']>
/** A login in `tab`: its session, stored. */
const logIn = async (tab: Tab) => {
  const session = sessionOf('b')
  await tab.core.commit({ generation: 'any', record: 'any' }, { session, claims, store: 'put' })
  return session
}

describe('faults and races around the session core', () => {
  describe('a background silent sign-in (init({ silent: true })) yields to what came meanwhile', () => {
    /** Tab A restores with a silent sign-in that answers only when `answer` is called. */
    async function silentRestore() {
      const tabs = origin()
      const { tab, revoked, gap } = tabs
      const [a, b] = [tab(), tab()]
      let answer!: (session?: Session) => void
      let restoring!: Promise<void>
      await new Promise<void>((asked) => {
        const silent = () => {
          asked()
          return new Promise<{ session: Session; claims: Readonly<IdTokenClaims> }>(
            (resolve) => (answer = (session = sessionOf('silent')) => resolve({ session, claims })),
          )
        }
        restoring = restore(a.ctx, silent)
      })
      const { memoryTabLogout } = tabs
      return {
        a,
        b,
        revoked,
        gap,
        memoryTabLogout,
        answer: (session?: Session) => answer(session),
        restored: () => restoring,
      }
    }

    test('a login and a logout in another tab, which leave nothing stored', async () => {
      const { a, b, revoked, answer, restored } = await silentRestore()
      const login = await logIn(b)
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

    for (const when of ['before the answer', "just before this tab's commit"])
      test(`a logout in a memory tab ${when}, its message not here yet: it stands`, async () => {
        const { a, revoked, gap, memoryTabLogout, answer, restored } = await silentRestore()
        // The silent session was issued after the mark, so the mark alone would not end it.
        const afterwards = sessionOf('silent', now + 1)
        if (when === 'before the answer') memoryTabLogout()
        else gap.beforeSessionSwap = async () => void memoryTabLogout()
        answer(afterwards)
        await restored()
        assert.equal(a.core.state().status, 'signedOut', 'the logout stands in this tab')
        assert.equal(await a.core.read(), undefined, 'and in storage')
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
      const login = await logIn(b)
      a.messages.heard += 1
      answer()
      await restored()
      assert.equal(a.core.held().session?.id, login.id, "this tab holds the other tab's login")
      assert.equal((await a.core.read())?.id, login.id)
      assert.deepEqual(revoked, [], "nothing revoked: the login's grant may be the same")
    })

    test('a login in another tab that a refused refresh then ended: no logout mark, yet it came first', async () => {
      const { a, b, revoked, answer, restored } = await silentRestore()
      const login = await logIn(b)
      // An ending, not a logout: storage is empty again and no logout mark changed.
      await b.core.commit({ generation: 'any', record: login.id }, { store: 'delete' })
      a.messages.heard += 2
      answer()
      await restored()
      assert.equal(a.core.state().status, 'signedOut', 'the background sign-in is not applied')
      assert.equal(await a.core.read(), undefined, 'nor stored')
      assert.deepEqual(a.posted, [], 'no other tab was told of a session')
      assert.deepEqual(revoked, ['r-silent'], "the dropped sign-in's refresh token is revoked")
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
})

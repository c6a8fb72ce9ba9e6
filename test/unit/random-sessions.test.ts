// Randomized runs of four tabs (one of them `persist: 'memory'`) over one origin's session
// core: logins, refreshes, logouts and reloads (some with a background silent sign-in), several
// at once, with each storage call delayed a random number of turns, messages delivered in a
// random order (in order per sender, as BroadcastChannel does), storage that refuses writes and
// keys out of reach for a while, and a provider that rotates refresh tokens, fails now and
// then, revokes the grant of a refresh token presented twice, and may revoke every grant. After
// each step settles, the SPEC's session invariants are checked. RANDOM_SESSIONS_RUNS and
// RANDOM_SESSIONS_STEPS set the size; RANDOM_SESSIONS_SEED replays one run's choices (its seed
// is in the failure message, with each step and the state it left). WebCrypto answers from
// Node's thread pool, so a replay may interleave some steps otherwise: the states in the
// message are what to read.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { logoutSession } from '../../src/logout.js'
import { commitLogin } from '../../src/redirect-login.js'
import { renewSession } from '../../src/renew.js'
import { OidcError } from '../../src/errors.js'
import type { KeyResolver } from '../../src/id-token.js'
import { createSession, type Session } from '../../src/session.js'
import { followTab, restore } from '../../src/sync.js'
import type { TabMessage } from '../../src/tabs.js'
import { createTombstone } from '../../src/tombstone.js'
import { mulberry32 } from '../support/random.js'
import {
  brokenInvariant,
  grantsProvider,
  installWebLocks,
  stepKinds,
  summary,
} from './random-sessions-support.js'
import { resolverOf } from './helpers.js'
import { claims, idToken, issuer, key, now, origin, signIdToken } from './session-faults-support.js'

before(signIdToken)

const runs = Number(process.env.RANDOM_SESSIONS_RUNS ?? 100)
const steps = Number(process.env.RANDOM_SESSIONS_STEPS ?? 30)
const seeds = process.env.RANDOM_SESSIONS_SEED
  ? [Number(process.env.RANDOM_SESSIONS_SEED)]
  : Array.from({ length: runs }, () => Math.floor(Math.random() * 2 ** 31))

installWebLocks()

// Reading a first response body loads code that later ones find loaded: done before the first
// run, so that a run takes the same turns whether or not others ran before it.
before(() => Response.json({}).json())

test(`${seeds.length} random runs of ${steps} steps over four tabs keep the session invariants`, async (t) => {
  t.diagnostic(`seeds ${seeds.join(' ')}`)
  for (const seed of seeds) await run(seed)
})

async function run(seed: number) {
  const random = mulberry32(seed)
  const chance = (p: number) => random() < p
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  const turns = async (most: number) => {
    for (let n = Math.floor(random() * most); n > 0; n--) await new Promise(setImmediate)
  }
  // Page time, seconds; each step moves it on, so marks and sessions keep their order.
  let clock = now
  Date.now = () => clock * 1000
  const shared = origin()
  // Storage calls under way: a step has settled once none is, and no message is on its way.
  let storageCalls = 0
  for (const name of ['get', 'swap', 'set'] as const) {
    const call = shared.vault[name] as (...args: unknown[]) => Promise<unknown>
    shared.vault[name] = (async (...args: unknown[]) => {
      storageCalls++
      try {
        await turns(4)
        return await call(...args)
      } finally {
        storageCalls--
      }
    }) as never
  }
  const provider = grantsProvider(chance, idToken)
  // The provider's keys are out of reach for a while (a failed JWKS fetch): "cannot verify now".
  let keysOut = false
  const resolveKey: KeyResolver = async (header, token) => {
    if (keysOut) throw new OidcError('jwks_error', 'keys out of reach')
    return resolverOf([key.jwk])(header, token)
  }
  // What a new tab would restore: the stored record, unless an ending's mark covers it.
  const marks = createTombstone('ns', () => shared.storage)
  async function liveStored() {
    const record = (await shared.records.get('session')) as Session | undefined
    return record && !marks.covers(record) ? record : undefined
  }

  // Messages on their way, first in first out from one tab to another over one channel: the
  // BroadcastChannel, and the `storage` events of the marks a tab sets in localStorage.
  const queues = new Map<string, { to: Tab; messages: TabMessage[] }>()
  const send = (from: Tab, to: Tab, channel: string, message: TabMessage) => {
    const key = `${from.id}>${to.id} ${channel}`
    if (!queues.has(key)) queues.set(key, { to, messages: [] })
    queues.get(key)!.messages.push(message)
  }
  let opened = 0
  // The last tab is a `persist: 'memory'` one.
  function openTab(memory = false) {
    // A mark's `storage` event comes to the other tabs that watch marks (each mark written is a
    // new value): those of IndexedDB, for the logout and ended marks.
    const tab = shared.tab(resolveKey, {
      memory,
      onMark: (name) => {
        if (name.endsWith('lastlogout')) return
        for (const other of tabs)
          if (other !== self && !other.memory) send(self, other, 'storage', { type: 'changed' })
      },
    })
    const self = { ...tab, id: ++opened, sent: 0, memory }
    const ctx = tab.ctx as any
    ctx.now = () => clock
    ctx.config.fetch = provider.fetch
    const { metadata } = ctx.provider
    ctx.provider.metadata = async () => ({
      ...(await metadata()),
      token_endpoint: `${issuer}/token`,
    })
    return self
  }
  type Tab = ReturnType<typeof openTab>
  const tabs: Tab[] = [openTab(), openTab(), openTab(), openTab(true)]
  for (const tab of tabs) await restore(tab.ctx)

  // Work started by a message a tab heard, to settle before the invariants are checked.
  const following: Promise<unknown>[] = []
  function deliverOne(): boolean {
    for (const from of tabs) {
      for (const message of from.posted.slice(from.sent))
        for (const to of tabs) if (to !== from) send(from, to, 'channel', message)
      from.sent = from.posted.length
    }
    const waiting = [...queues.values()].filter(
      ({ to, messages }) => messages.length > 0 && tabs.includes(to),
    )
    if (waiting.length === 0) return false
    const { to, messages } = pick(waiting)
    const message = messages.shift()!
    // As the client counts them: a memory tab hears only logouts.
    if (!to.memory || message.type === 'logout') to.messages.heard++
    following.push(followTab(to.ctx, message).catch(() => {}))
    return true
  }

  let logins = 0
  // A session of a new grant, already expiring: each renewal refreshes it.
  const newSession = () =>
    createSession({
      idToken,
      accessToken: `a-login-${++logins}`,
      refreshToken: provider.grant(),
      issuedAt: clock,
      expiresAt: clock,
    })
  const actions = {
    login: (tab: Tab) => commitLogin(tab.ctx, { session: newSession(), claims }),
    // A page loaded anew (just before the step) with init({ silent: true }): its background
    // sign-in answers a few turns later, or finds no session at the provider.
    silentReload: (tab: Tab) =>
      restore(tab.ctx, async () => {
        await turns(6)
        if (chance(0.4)) throw new OidcError('login_required', 'no session at the provider')
        return { session: newSession(), claims }
      }),
    refresh: (tab: Tab) => renewSession(tab.ctx),
    logout: (tab: Tab) => logoutSession(tab.ctx, { localOnly: true }),
    faults: async () => {
      shared.faults.put = chance(0.3)
      shared.faults.delete = chance(0.3)
      keysOut = chance(0.3)
    },
    revokeAll: async () => provider.revokeAll(),
  }
  const log: string[] = []
  const fail = (what: string) => assert.fail(`seed ${seed}: ${what}\n  after: ${log.join('\n')}`)

  for (let step = 0; step < steps; step++) {
    clock++
    const names = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(stepKinds))
    if (names.includes('reload')) {
      // A reload is a new page: taken alone, once nothing is under way.
      const index = Math.floor(random() * tabs.length)
      log.push(`reload ${index}`)
      tabs[index] = openTab(tabs[index].memory)
      await restore(tabs[index].ctx)
    } else {
      const heldBefore = tabs.map((tab) => tab.core.held().session?.refreshToken)
      const storedBefore = await liveStored()
      const reloaded = new Set<number>()
      const chosen = (names as Exclude<(typeof names)[number], 'reload'>[])
        .map((name) => ({ name, index: Math.floor(random() * tabs.length) }))
        // One reload of a page a step.
        .filter(
          ({ name, index }) =>
            name !== 'silentReload' || (!reloaded.has(index) && !!reloaded.add(index)),
        )
      // Pages reloaded in this step are new before any work starts.
      for (const { name, index } of chosen)
        if (name === 'silentReload') tabs[index] = openTab(tabs[index].memory)
      log.push(chosen.map(({ name, index }) => `${name} ${index}`).join(' + '))
      const work = chosen.map(({ name, index }) =>
        turns(3).then(() => (actions[name](tabs[index]) as Promise<unknown>).catch(() => {})),
      )
      let done = false
      void Promise.all(work).then(() => (done = true))
      while (!done || deliverOne()) {
        if (!deliverOne()) await new Promise(setImmediate)
      }
      await settle()
      if (names.length === 1 && names[0] === 'logout') {
        // A logout ends every session it reaches: the refresh tokens held or stored are revoked.
        // A memory tab's may not touch the stored one: the IndexedDB tabs holding it revoke it.
        const stored = tabs[chosen[0].index].memory ? undefined : storedBefore
        for (const token of [...heldBefore, stored?.refreshToken])
          if (token && !provider.revoked(token)) fail(`refresh token ${token} outlived the logout`)
        // It means "sign this user out everywhere": memory tabs too.
        for (const [index, tab] of tabs.entries())
          if (tab.core.held().session) fail(`tab ${index} is still signed in after the logout`)
      }
    }
    const stored = await liveStored()
    log.push(`=> ${summary(tabs, stored, shared.faults)}`)
    const broken = brokenInvariant(tabs, stored, provider.reused)
    if (broken) fail(broken)
  }
  // What is still under way ends before the next run starts, so that a seed replays alone.
  await settle()

  async function settle() {
    for (let idle = 0; idle < 10;) {
      while (deliverOne());
      await Promise.all(following.splice(0))
      await new Promise(setImmediate)
      idle = storageCalls === 0 && following.length === 0 && !undelivered() ? idle + 1 : 0
    }
  }
  function undelivered() {
    return (
      tabs.some((tab) => tab.sent < tab.posted.length) ||
      [...queues.values()].some(({ to, messages }) => messages.length > 0 && tabs.includes(to))
    )
  }
}

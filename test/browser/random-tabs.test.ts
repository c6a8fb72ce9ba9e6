// A randomized run of three tabs against the misbehaving provider: logins, refreshes (one tab,
// or all at once), logouts, reloads, crafted callback links, key rotations, refused refreshes
// and slowed storage writes, in a random order. After each step settles, the SPEC's session
// invariants are checked in every tab. RANDOM_TABS_STEPS sets the length (default 30) and
// RANDOM_TABS_SEED replays a run; the seed is printed on failure.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { answerRefreshes, invalidGrant } from '../support/rogue-provider.js'
import type { Page } from 'playwright-core'
import {
  blockStorage,
  loginAs,
  openTab,
  refreshSettled,
  rogueContext,
  useRogueHarness,
  storedSession,
  tokenOf,
  until,
} from './rogue-app.js'
import { ready } from './app.js'
import { mulberry32 } from '../support/random.js'

const steps = Number(process.env.RANDOM_TABS_STEPS ?? 30)
const seed = Number(process.env.RANDOM_TABS_SEED ?? Math.floor(Math.random() * 2 ** 31))

const harness = useRogueHarness()

test(
  `${steps} random steps over three tabs keep every session invariant (seed ${seed})`,
  { timeout: 600_000 },
  async (t) => {
    const next = mulberry32(seed)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]
    const { rogue } = harness
    rogue.accessTokenTtl = 3600
    const context = await rogueContext(harness)
    const tabs = [
      await openTab(harness, context),
      await openTab(harness, context),
      await openTab(harness, context),
    ]
    let injectedRefusals = 0
    const log: string[] = []

    const actions = {
      async login(tab: Page) {
        await loginAs(tab, pick(['alice', 'bob']))
      },
      // A login whose token comes expiring, then refreshes from one tab, or from all at once.
      async refresh(tab: Page) {
        rogue.accessTokenTtl = 0
        await loginAs(tab, pick(['alice', 'bob']))
        rogue.accessTokenTtl = 3600
        // Every tab first takes the new session over (the expiry tells it from the earlier ones).
        const { expiresAt } = await storedSession(tab, rogue.issuer)
        await until(async () => {
          const states = await Promise.all(
            tabs.map((each) => each.evaluate(() => window.client.getState())),
          )
          return states.every((state) => state.expiresAt === expiresAt)
        }, 'every tab holds the new session')
        const callers = next() < 0.5 ? [pick(tabs)] : tabs
        const tokens = await Promise.all(callers.map(tokenOf))
        if (callers.length > 1 && !tokens[0].startsWith('error:'))
          assert.equal(new Set(tokens).size, 1, 'tabs asking at once share one refresh')
      },
      async logout(tab: Page) {
        await tab.evaluate(() => window.client.logout({ localOnly: true }))
      },
      async reload(tab: Page) {
        await tab.reload()
        await ready(tab)
      },
      async craftedLink(tab: Page) {
        await tab.goto(`${harness.iife}?code=x&state=${pick(['bogus', 'other'])}`)
        assert.equal((await ready(tab)).code, 'invalid_callback')
      },
      async rotateKeys() {
        await rogue.rotateKey()
      },
      async refusedRefresh(tab: Page) {
        rogue.accessTokenTtl = 0
        await loginAs(tab, 'alice')
        rogue.accessTokenTtl = 3600
        injectedRefusals++
        rogue.faults = answerRefreshes(invalidGrant)
        try {
          assert.equal(await tokenOf(tab), 'error:login_required')
        } finally {
          rogue.faults = {}
        }
      },
      async slowWrite(tab: Page) {
        rogue.accessTokenTtl = 0
        await loginAs(tab, 'bob')
        rogue.accessTokenTtl = 3600
        const release = await blockStorage(tab)
        const token = tokenOf(tab)
        await until(
          () =>
            tab.evaluate(() =>
              (window as any).__idbLog.some((e: string) => /^readwrite .*session$/.test(e)),
            ),
          'the refreshed session waits for storage',
        )
        await release()
        assert.doesNotMatch(await token, /^error:/)
      },
    }

    async function checkInvariants() {
      await Promise.all(tabs.map((tab) => refreshSettled(tab, rogue.issuer)))
      // Tabs hear of changes over BroadcastChannel: wait until each agrees with storage, or
      // says why it cannot (a session it cannot verify now).
      await until(async () => {
        const stored = await storedSession(tabs[0], rogue.issuer)
        for (const tab of tabs) {
          const state = await tab.evaluate(() => window.client.getState())
          if (state.status === 'initializing') return false
          if (state.status === 'signedIn' && (await tokenOf(tab)) !== stored?.accessToken)
            return false
          if (state.status === 'signedOut' && stored && state.error?.code !== 'jwks_error')
            return false
        }
        return true
      }, 'every tab agrees with storage')
      const stored = await storedSession(tabs[0], rogue.issuer)
      for (const tab of tabs) {
        const state = await tab.evaluate(() => window.client.getState())
        const token = await tokenOf(tab)
        if (state.status === 'signedIn')
          assert.equal(token, stored.accessToken, 'memory is storage')
        else assert.match(token, /^error:/, 'no token is served while not signedIn')
      }
      assert.equal(
        rogue.tokenStatuses.filter((status) => status === 400).length,
        injectedRefusals,
        'no refresh token was presented twice',
      )
    }

    try {
      for (let step = 0; step < steps; step++) {
        const name = pick(Object.keys(actions) as (keyof typeof actions)[])
        const index = Math.floor(next() * tabs.length)
        log.push(`${step}: ${name} in tab ${index}`)
        await actions[name](tabs[index])
        await checkInvariants()
      }
    } catch (error) {
      t.diagnostic(`seed ${seed}; replay with RANDOM_TABS_SEED=${seed} RANDOM_TABS_STEPS=${steps}`)
      t.diagnostic(log.join('\n'))
      throw error
    } finally {
      rogue.faults = {}
      await context.close()
    }
  },
)

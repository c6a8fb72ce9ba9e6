// Session invariants around the redirect callback, against the misbehaving provider: a failed
// callback leaves a session exactly as it was, init() answers with the current state, and what
// the provider sends beyond the rules (odd claims, acr) is handled as the README says.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { BrowserContext } from 'playwright-core'
import { ready, recordKey, storedKeys } from './app.js'
import {
  loginAs,
  openTab,
  rogueContext,
  seen,
  useRogueHarness,
  storedSession,
} from './rogue-app.js'

const harness = useRogueHarness()
let context: BrowserContext

describe('a failed callback (defect 1)', { timeout: 60_000 }, () => {
  before(async () => (context = await rogueContext(harness)))
  after(() => context.close())

  test('a crafted ?code&state link leaves the session as it was: state, memory and storage', async () => {
    const page = await openTab(harness, context)
    await loginAs(page, 'alice')
    const before = await seen(page)
    const stored = await storedSession(page, harness.rogue.issuer)
    await page.goto(`${harness.iife}?code=x&state=bogus`)
    const result = await ready(page)
    assert.equal(result.code, 'invalid_callback')
    assert.deepEqual(await seen(page), before, 'the same user, the same token')
    assert.deepEqual(await storedSession(page, harness.rogue.issuer), stored)
    const events = await page.evaluate(() => window.events.map((event) => event.type))
    assert.ok(events.includes('error'), 'the error is fired')
    assert.ok(!events.includes('signedout'))
    await page.reload()
    assert.deepEqual(await seen(page), before, 'a reload restores what the state showed')
    await page.close()
  })

  test('a failed account switch (a nonce of another login) keeps the first account everywhere', async () => {
    const page = await openTab(harness, context)
    await loginAs(page, 'alice')
    const other = await openTab(harness, context)
    const before = await seen(other)
    assert.equal(before.sub, 'alice')
    harness.rogue.faults = {
      idToken: ({ header, payload }) => ({ header, payload: { ...payload, nonce: 'replayed' } }),
    }
    try {
      await Promise.all([
        page.waitForNavigation(),
        page.evaluate(() => void window.client.login({ loginHint: 'bob' })),
      ])
      const result = await ready(page)
      assert.deepEqual([result.code, result.reason], ['id_token_invalid', 'nonce'])
    } finally {
      harness.rogue.faults = {}
    }
    assert.deepEqual(await seen(page), before)
    assert.deepEqual(await seen(other), before)
    await page.reload()
    assert.deepEqual(await seen(page), before)
    await Promise.all([page.close(), other.close()])
  })

  test('with no session, the state is signedOut with the error', async () => {
    const page = await openTab(harness, context)
    await page.evaluate(() => window.client.logout({ localOnly: true }))
    await page.goto(`${harness.iife}?code=x&state=bogus`)
    assert.equal((await ready(page)).code, 'invalid_callback')
    assert.deepEqual(await seen(page), {
      status: 'signedOut',
      sub: null,
      error: 'invalid_callback',
      token: 'error:login_required',
    })
    await page.close()
  })

  test('a popup answer that repeats its code: invalid_callback at once in the opening tab, fired and on the state', async () => {
    const page = await openTab(harness, context)
    await page.evaluate(() => window.client.logout({ localOnly: true }))
    harness.rogue.faults = { callback: (params) => [...params, ['code', 'again']] }
    try {
      await page.evaluate(() => {
        const button = document.createElement('button')
        button.id = 'popup-login'
        button.onclick = () =>
          ((window as any).popupOutcome = window.client
            .loginWithPopup()
            .catch((error: any) => error.code))
        document.body.append(button)
      })
      const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#popup-login')])
      assert.equal(await page.evaluate(() => (window as any).popupOutcome), 'invalid_callback')
      if (!popup.isClosed()) await popup.waitForEvent('close')
      assert.equal((await seen(page)).error, 'invalid_callback')
      const events = await page.evaluate(() => window.events.map((event) => event.type))
      assert.deepEqual(events.slice(-2).sort(), ['change', 'error'])
      const keys = await storedKeys(page)
      assert.deepEqual(
        keys.filter((key) => key.includes('tx:')),
        [],
        'its login is dropped',
      )
    } finally {
      harness.rogue.faults = {}
    }
    await page.close()
  })
})

describe('init() (defect 2)', { timeout: 60_000 }, () => {
  test('resolves with the state current when it resolves: after a logout, signedOut', async () => {
    const context = await rogueContext(harness)
    const page = await openTab(harness, context)
    await loginAs(page)
    const statuses = await page.evaluate(async () => {
      const first = (await window.client.init()).status
      await window.client.logout({ localOnly: true })
      return [first, (await window.client.init()).status]
    })
    assert.deepEqual(statuses, ['signedIn', 'signedOut'])
    await context.close()
  })
})

describe('what the provider sends beyond the rules', { timeout: 60_000 }, () => {
  before(async () => (context = await rogueContext(harness)))
  after(() => context.close())

  test('claims named __proto__, constructor or prototype never reach the claims (defect 15)', async () => {
    harness.rogue.faults = {
      idToken: ({ header, payload }) => {
        const poisoned = { ...payload, address: { country: 'NL' } }
        for (const target of [poisoned, poisoned.address])
          for (const name of ['__proto__', 'constructor', 'prototype'])
            Object.defineProperty(target, name, { value: { admin: true }, enumerable: true })
        return { header, payload: poisoned }
      },
    }
    try {
      const page = await openTab(harness, context)
      await loginAs(page)
      const found = await page.evaluate(() => {
        const { claims } = window.client.getState()
        const copy = Object.assign({}, claims)
        return {
          names: [
            ...Object.getOwnPropertyNames(claims),
            ...Object.getOwnPropertyNames(claims.address),
          ],
          admin: (copy as any).admin ?? (Object.assign({}, claims.address) as any).admin ?? null,
          country: claims.address.country,
        }
      })
      assert.deepEqual(
        found.names.filter((name) => ['__proto__', 'constructor', 'prototype'].includes(name)),
        [],
      )
      assert.equal(found.admin, null)
      assert.equal(found.country, 'NL', 'the other claims stay')
      await page.close()
    } finally {
      harness.rogue.faults = {}
    }
  })

  test('acr is handed to the app as the provider asserts it, not enforced (defect 16, README)', async () => {
    harness.rogue.faults = {
      idToken: ({ header, payload }) => ({ header, payload: { ...payload, acr: 'weak' } }),
    }
    try {
      const page = await openTab(harness, context)
      await Promise.all([
        page.waitForNavigation(),
        page.evaluate(() => void window.client.login({ acrValues: 'strong' })),
      ])
      assert.equal((await ready(page)).ok, true)
      const authorize = harness.rogue.callbacks.length
      assert.ok(authorize > 0)
      assert.equal(await page.evaluate(() => window.client.getState().claims.acr), 'weak')
      await page.close()
    } finally {
      harness.rogue.faults = {}
    }
  })
})

describe('abandoned login transactions (defect 13)', { timeout: 60_000 }, () => {
  test('are swept at the next login once older than 10 minutes; younger ones stay', async () => {
    const context = await rogueContext(harness)
    await context.clock.install()
    const page = await openTab(harness, context)
    const stateOf = (url: string) => new URL(url).searchParams.get('state')
    const transactionKey = (state: string | null) => recordKey(harness.rogue.issuer, `tx:${state}`)
    const old = stateOf(await page.evaluate(() => window.client.createLoginUrl()))
    await context.clock.fastForward(9 * 60_000)
    const young = stateOf(await page.evaluate(() => window.client.createLoginUrl()))
    assert.ok((await storedKeys(page)).includes(transactionKey(old)))
    await context.clock.fastForward(2 * 60_000)
    const fresh = stateOf(await page.evaluate(() => window.client.createLoginUrl()))
    const keys = await storedKeys(page)
    assert.ok(!keys.includes(transactionKey(old)), 'the 11-minute-old transaction is gone')
    assert.ok(keys.includes(transactionKey(young)), 'the 2-minute-old one stays')
    assert.ok(keys.includes(transactionKey(fresh)))
    await context.close()
  })
})

// The rogue provider's attacks on a login in the test app, shared by the attack and fuzz tests:
// a fresh tab's login under given faults, what it shows, and ID tokens taken apart or re-made.
import assert from 'node:assert/strict'
import { base64url } from 'jose'
import type { BrowserContext, Page } from 'playwright-core'
import type { Faults } from '../support/rogue-provider.js'
import { issuerContext, newApp, ready, storedKeys, type HarnessResult } from './app.js'
import type { RogueHarness } from './rogue-app.js'

export const jwtShaped = /eyJ[\w-]{4,}\.[\w-]{4,}/

/** Everything the app could see or print: event details, errors with their causes, console lines. */
async function visibleText(page: Page, consoleLines: string[]): Promise<string> {
  const audit = await page.evaluate(() => (window as unknown as { audit: string[] }).audit)
  const state = await page.evaluate(() => JSON.stringify(window.client.getState()))
  return [...audit, state, ...consoleLines].join('\n')
}

export const hasSession = (keys: string[]) => keys.some((key) => key.endsWith(']session'))

export interface AttackOutcome {
  result: HarnessResult
  status: string
  keys: string[]
  seen: string
}

/** The helpers that use the harness `get()` returns, which exists once `before` has run. */
export function attackHelpers(get: () => RogueHarness) {
  const newContext = (): Promise<BrowserContext> => issuerContext(get().browser, get().rogue.issuer)

  /** A fresh tab logs in through the rogue provider with these faults; returns the callback's outcome. */
  async function attack(faults: Faults): Promise<AttackOutcome> {
    const { rogue, iife } = get()
    rogue.faults = faults
    const context = await newContext()
    try {
      const page = await newApp(context, iife)
      const consoleLines: string[] = []
      page.on('console', (message) => consoleLines.push(message.text()))
      await ready(page)
      await Promise.all([page.waitForNavigation(), page.evaluate(() => void window.client.login())])
      const result = await ready(page)
      return {
        result,
        status: await page.evaluate(() => window.client.getState().status),
        keys: await storedKeys(page),
        seen: await visibleText(page, consoleLines),
      }
    } finally {
      rogue.faults = {}
      await context.close()
    }
  }

  return { newContext, attack }
}

export async function assertRejected(outcome: AttackOutcome, code: string, reason?: string) {
  const { result, status, keys, seen } = outcome
  assert.equal(result.ok, false, 'the attack was accepted')
  assert.equal(result.code, code)
  if (reason) assert.equal(result.reason, reason)
  assert.equal(result.isOidcError, true)
  assert.equal(status, 'signedOut')
  assert.equal(hasSession(keys), false, `a session was stored: ${keys.join(', ')}`)
  assert.doesNotMatch(seen, jwtShaped)
}

// Header and payload of an ID token, to sign them again differently.
export const partsOf = (token: string) => {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))))
  return { header, payload }
}
export const unsigned = (header: unknown, payload: unknown) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`
export const claims = (change: (payload: Record<string, unknown>) => void): Faults => ({
  idToken: ({ header, payload }) => {
    const changed = { ...payload }
    change(changed)
    return { header, payload: changed }
  },
})

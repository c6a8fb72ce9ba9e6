// Helpers of the tests that drive signed-in tabs of the test app against the real provider with
// short-lived access tokens: storage quota and records, session races, refresh checks.
import type { BrowserContext, Page } from 'playwright-core'
import { issuerContext, recordKey, refreshLock, storedRecords, type Harness } from './app.js'

// A short access-token lifetime, so that tokens start expiring after half of it (45 s).
export const accessTokenTtl = 90

export const eventTypes = (page: Page) =>
  page.evaluate(() => window.events.map((event) => event.type))

export async function waitForStatus(pages: Page[], status: string) {
  for (const page of pages) {
    await page.waitForFunction((status) => window.client.getState().status === status, status, {
      timeout: 5000,
    })
  }
}

export const status = (page: Page) => page.evaluate(() => window.client.getState().status)

export const readRecord = async (page: Page, key: string) => (await storedRecords(page))[key]

/** The helpers that read the harness `get()` returns, which exists once `before` has run. */
export function harnessHelpers(get: () => Harness) {
  return {
    grants: () => get().op.requests.filter((request) => request === 'POST /token').length,
    sessionKey: () => recordKey(get().op.issuer, 'session'),
    // A refresh runs under the tab lock from the moment it starts: once the lock is free, any
    // refresh the page started is over.
    settled: (page: Page) =>
      page.evaluate(
        (name) => navigator.locks.request(name, async () => {}),
        refreshLock(get().op.issuer),
      ),
    newContext: (): Promise<BrowserContext> => issuerContext(get().browser, get().op.issuer),
  }
}

// Storage faults each engine can produce, and the strict-CSP page, in every selected engine.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launchEngine, selectedEngines, type Engine } from '../support/engines/index.js'
import { logIn, ready, startApp, status, type App } from './app.js'

let app: App
before(async () => (app = await startApp()))
after(() => app?.close())

for (const name of selectedEngines()) {
  describe(name, { timeout: 120_000 }, () => {
    let engine: Engine
    before(async () => (engine = await launchEngine(name)))
    after(() => engine?.close())

    test('in a sandboxed page (opaque origin) init falls back to memory with storage_error; login throws it before navigating', async (t) => {
      const context = await engine.newContext()
      const tab = await context.open(app.url('sandboxed'))
      const result = await ready(tab)
      assert.equal(result.state?.status, 'signedOut')
      assert.equal(await tab.evaluate(() => window.client.getState().error.code), 'storage_error')
      assert.equal(
        await tab.evaluate(() => window.client.init().then((state: any) => state.status)),
        'signedOut',
      )
      const login = await tab.evaluate(() =>
        window.client.login().then(
          () => 'navigated',
          (error: any) => error.code,
        ),
      )
      assert.equal(login, 'storage_error')
      assert.equal(await tab.evaluate(() => location.href), app.url('sandboxed'))
      // How this engine refuses IndexedDB to an opaque origin, for the README.
      const refusal = await tab.evaluate(
        () =>
          new Promise<string>((resolve) => {
            try {
              const open = indexedDB.open('probe')
              open.onsuccess = () => resolve('opened')
              open.onerror = () => resolve(`error event: ${open.error?.name}`)
            } catch (error) {
              resolve(`throws ${(error as Error).name}`)
            }
          }),
      )
      t.diagnostic(`${engine.version}: indexedDB.open in an opaque origin ${refusal}`)
      await context.close()
    })

    test('while another tab holds an upgrade of the database open, init and login end in storage_error, never hang', async () => {
      const context = await engine.newContext()
      // Another tab upgrades the database and keeps its versionchange transaction alive.
      const holder = await context.open(`${app.server.origin}/pages/esm.html`)
      await holder.evaluate(
        () =>
          new Promise<void>((resolve) => {
            const open = indexedDB.open('oidc-browser', 7)
            open.onupgradeneeded = () => {
              const store = open.result.createObjectStore('kv')
              const spin = () => (store.count().onsuccess = spin)
              spin()
              resolve()
            }
          }),
      )
      // Its storage deadlines come in 50 ms, not 5 s.
      const tab = await context.open(app.url('hurried'))
      assert.equal((await ready(tab)).state?.status, 'signedOut')
      assert.equal(await tab.evaluate(() => window.client.getState().error.code), 'storage_error')
      const login = await tab.evaluate(() =>
        window.client.login().then(
          () => 'navigated',
          (error: any) => error.code,
        ),
      )
      assert.equal(login, 'storage_error')
      await context.close()
    })

    test('another tab deletes the database: not blocked; this tab keeps its session; a reload finds none', async () => {
      const context = await engine.newContext()
      const tab = await context.open(app.url())
      await ready(tab)
      assert.equal((await logIn(tab, app.op.issuer)).ok, true)
      const other = await context.open(app.url())
      await ready(other)
      const outcome = await other.evaluate(
        () =>
          new Promise((resolve) => {
            const request = indexedDB.deleteDatabase('oidc-browser')
            request.onsuccess = () => resolve('deleted')
            request.onblocked = () => resolve('blocked')
            request.onerror = () => resolve('error')
          }),
      )
      assert.equal(outcome, 'deleted')
      assert.equal(await status(tab), 'signedIn')
      assert.equal(typeof (await tab.evaluate(() => window.client.getAccessToken())), 'string')
      await tab.reload()
      assert.equal((await ready(tab)).state?.status, 'signedOut')
      await context.close()
    })

    test('the script-tag build works under a strict CSP with Trusted Types required', async (t) => {
      const context = await engine.newContext()
      const tab = await context.open(app.url('strict'))
      assert.equal((await ready(tab)).state?.status, 'signedOut')
      const result = await logIn(tab, app.op.issuer)
      assert.equal(result.ok, true, JSON.stringify(result))
      assert.equal(await tab.evaluate(() => window.client.getState().claims.sub), 'alice')
      await tab.reload()
      assert.equal((await ready(tab)).state?.status, 'signedIn')
      assert.equal(typeof (await tab.evaluate(() => window.client.getAccessToken())), 'string')
      // WebKit checks its own favicon request against the page's policy and reports it: that one
      // is the browser's, not the library's.
      const violations: string[] = await tab.evaluate(() => (window as any).violations)
      assert.deepEqual(
        violations.filter((violation) => !violation.endsWith('/favicon.ico')),
        [],
      )
      // The policy is in force: an inline script is refused (by Trusted Types where the engine
      // has them, else by script-src).
      const inline = await tab.evaluate(() => {
        const script = document.createElement('script')
        try {
          script.textContent = 'window.inline = true'
          document.body.append(script)
        } catch (error) {
          return `refused by Trusted Types (${(error as Error).name})`
        }
        return (window as any).inline ? 'ran' : 'refused by script-src'
      })
      assert.notEqual(inline, 'ran')
      t.diagnostic(`${engine.version}: an inline script is ${inline}`)
      await context.close()
    })
  })
}

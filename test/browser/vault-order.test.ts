// The vault's read batching keeps the order calls were asked in: a take (read and delete) joins
// a batch of reads only if no other transaction was asked for since, or it would run before a
// write asked for ahead of it. src/vault.ts, bundled alone, over real IndexedDB in Chromium.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { launchBrowser, newLoopbackContext } from '../support/browser.js'
import { repoRoot, startStaticServer, type StaticServer } from '../support/static-server.js'

let browser: Browser
let server: StaticServer
let page: Page

before(async () => {
  const bundle = await build({
    entryPoints: [`${repoRoot}/src/vault.ts`],
    bundle: true,
    format: 'iife',
    globalName: 'vault',
    write: false,
    logLevel: 'silent',
  })
  server = await startStaticServer({})
  server.route('/', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end())
  server.route('/vault.js', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.outputFiles[0].text)
  })
  browser = await launchBrowser()
  page = await (await newLoopbackContext(browser)).newPage()
  await page.goto(`${server.origin}/`)
  await page.addScriptTag({ url: '/vault.js' })
})

after(async () => {
  await browser?.close()
  await server?.close()
})

test('a take asked for after a write, while a batch of reads is pending, sees the write', async () => {
  const outcome = await page.evaluate(async () => {
    const vault = (window as any).vault.createIdbVault('order-test:')
    await vault.set('k', 'old')
    const read = vault.get('k')
    const write = vault.set('k', 'new')
    const taken = vault.del('k')
    return { read: await read, wrote: await write, taken: await taken, left: await vault.get('k') }
  })
  assert.deepEqual(outcome, { read: 'old', wrote: 'old', taken: 'new', left: undefined })
})

test('a take asked for right after reads joins their transaction and still reads first', async () => {
  const outcome = await page.evaluate(async () => {
    const vault = (window as any).vault.createIdbVault('join-test:')
    await vault.set('k', 'v')
    const read = vault.get('k')
    const taken = vault.del('k')
    return { read: await read, taken: await taken, left: await vault.get('k') }
  })
  assert.deepEqual(outcome, { read: 'v', taken: 'v', left: undefined })
})

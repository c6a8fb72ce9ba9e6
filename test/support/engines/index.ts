// One browser layer for the cross-engine tests: Chromium (playwright-core), Firefox (puppeteer-core
// over WebDriver BiDi) and WebKit (WebKitWebDriver over W3C WebDriver), behind the same few verbs.
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'

export const engineNames = ['chromium', 'firefox', 'webkit'] as const
export type EngineName = (typeof engineNames)[number]

/** What each engine file implements; pages are driven through `run`, an expression string. */
export interface Driver {
  /** Browser name and version, e.g. `firefox/153.8.0`. */
  version: string
  newContext(): Promise<DriverContext>
  close(): Promise<void>
}

export interface DriverContext {
  open(url: string): Promise<DriverTab>
  close(): Promise<void>
}

export interface DriverTab {
  /** Evaluates an expression in the page; it resolves to a JSON string. */
  run(expression: string): Promise<unknown>
  goto(url: string): Promise<void>
  reload(): Promise<void>
  click(selector: string): Promise<void>
  type(selector: string, text: string): Promise<void>
  close(): Promise<void>
}

export interface Engine {
  name: EngineName
  version: string
  /** Every host outside loopback that a page or the browser tried to reach (all refused). */
  blocked: Set<string>
  /**
   * An isolated profile (cookies, IndexedDB, channels): a Chromium context, a Firefox user
   * context, a new WebKit session (its own MiniBrowser, whose data is ephemeral).
   */
  newContext(): Promise<Context>
  close(): Promise<void>
}

export interface Context {
  open(url: string): Promise<Tab>
  close(): Promise<void>
}

export interface Tab {
  /** Runs `fn(arg)` in the page (serialized: no closures); the result travels as JSON. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>
  /** Polls `fn(arg)` until it returns a truthy value, through navigations; never a fixed sleep. */
  waitFor<R, A = undefined>(
    fn: (arg: A) => R | Promise<R>,
    arg?: A,
    options?: { timeout?: number; message?: string },
  ): Promise<Awaited<R>>
  goto(url: string): Promise<void>
  reload(): Promise<void>
  click(selector: string): Promise<void>
  type(selector: string, text: string): Promise<void>
  close(): Promise<void>
}

/** The engines named by `ENGINES` (comma-separated), all three by default. */
export function selectedEngines(): EngineName[] {
  const names = (process.env.ENGINES ?? engineNames.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  if (names.length === 0) throw new Error(`ENGINES names no engine; use ${engineNames.join(', ')}`)
  for (const name of names)
    if (!(engineNames as readonly string[]).includes(name))
      throw new Error(`ENGINES: unknown engine "${name}"; use ${engineNames.join(', ')}`)
  return names as EngineName[]
}

/** Throws, with the way to install it, when a browser binary is missing: never a silent skip. */
export function requireBinary(path: string, install: string, hint = '') {
  if (!existsSync(path))
    throw new Error(
      `${path} not found. Install it with "apt-get update && apt-get install -y ${install}"${hint}.`,
    )
}

/**
 * A stand-in proxy for everything outside loopback: it answers 403 to each request (plain or
 * CONNECT) and records the host, so no test reaches the network or depends on it.
 */
export async function startBlockingProxy(
  blocked: Set<string>,
): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', (data) => {
      const target = String(data).split(' ', 2)[1] ?? ''
      blocked.add(target.includes('://') ? new URL(target).hostname : target.split(':')[0])
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as { port: number }).port, server }
}

export const isLoopback = (hostname: string) =>
  ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)

// esbuild (through tsx) may wrap named functions in `__name(…)`: the page gets a no-op one.
const expression = (fn: Function, arg: unknown) =>
  `(async () => { const __name = (f) => f; ` +
  `return JSON.stringify({ v: await (${fn.toString()})(${JSON.stringify(arg)}) }) })()`

function wrapTab(tab: DriverTab): Tab {
  const evaluate = async (fn: Function, arg?: unknown) => {
    const json = await tab.run(expression(fn, arg))
    return (JSON.parse(json as string) as { v: any }).v
  }
  return {
    evaluate: evaluate as Tab['evaluate'],
    async waitFor(fn: Function, arg?: unknown, { timeout = 20_000, message = '' } = {}) {
      const deadline = Date.now() + timeout
      let last: unknown
      for (;;) {
        try {
          const value = await evaluate(fn, arg)
          if (value) return value
          last = value
        } catch (error) {
          last = error // a navigation in flight: try again on the next document
        }
        if (Date.now() > deadline)
          throw new Error(`timed out after ${timeout} ms waiting for ${message || fn}: ${last}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    goto: (url) => tab.goto(url),
    reload: () => tab.reload(),
    click: (selector) => tab.click(selector),
    type: (selector, text) => tab.type(selector, text),
    close: () => tab.close(),
  } as Tab
}

/** Starts one engine; fails with the way to install it when its binary is missing. */
export async function launchEngine(name: EngineName): Promise<Engine> {
  const blocked = new Set<string>()
  const load = {
    chromium: () => import('./chromium.js'),
    firefox: () => import('./firefox.js'),
    webkit: () => import('./webkit.js'),
  }[name]
  const driver: Driver = await (await load()).launch(blocked)
  return {
    name,
    version: driver.version,
    blocked,
    async newContext() {
      const context = await driver.newContext()
      return {
        open: async (url) => wrapTab(await context.open(url)),
        close: () => context.close(),
      }
    },
    close: () => driver.close(),
  }
}

// WebKit: WebKitGTK's MiniBrowser driven by WebKitWebDriver (W3C WebDriver over plain HTTP), on
// an Xvfb display of its own. A context is one WebDriver session, so one MiniBrowser whose
// website data is ephemeral; its tabs are windows of that session, and the session runs one
// command at a time (a script that waits for another tab of the same context would wait forever).
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { requireBinary, startBlockingProxy, type Driver, type DriverTab } from './index.js'
import { startXvfb } from './xvfb.js'

const driverPath = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver'
const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu'
const miniBrowser =
  process.env.WEBKIT_BROWSER_PATH ?? `/usr/lib/${multiarch}/webkit2gtk-4.1/MiniBrowser`
const install = 'webkit2gtk-driver xvfb'
const element = 'element-6066-11e4-a52e-4f735466cecf'

export async function launch(blocked: Set<string>): Promise<Driver> {
  requireBinary(driverPath, install)
  requireBinary(miniBrowser, install)
  requireBinary('/usr/bin/Xvfb', install)
  const display = await startXvfb()
  const proxy = await startBlockingProxy(blocked)
  const contexts = new Set<{ close(): Promise<void> }>()
  const probe = await newSession(display.name, proxy.port)
  const version = `webkitgtk/${probe.capabilities.browserVersion}`
  await probe.close()
  return {
    version,
    async newContext() {
      const session = await newSession(display.name, proxy.port)
      let initial: string | undefined = await session.send('GET', '/window')
      let current = initial
      const handles = new Set<string>()
      // Each command first makes its tab the current window; commands never interleave.
      let queue: Promise<unknown> = Promise.resolve()
      const inTab = <T>(handle: string, command: () => Promise<T>): Promise<T> => {
        const next = queue.then(async () => {
          if (current !== handle) await session.send('POST', '/window', { handle })
          current = handle
          return command()
        })
        queue = next.catch(() => {})
        return next
      }
      const find = async (selector: string): Promise<string> =>
        (await session.send('POST', '/element', { using: 'css selector', value: selector }))[
          element
        ]
      const tab = (handle: string): DriverTab => ({
        run: (expression) =>
          inTab(handle, async () => {
            const answer = await session.send('POST', '/execute/async', {
              args: [],
              script:
                'const done = arguments[arguments.length - 1]; Promise.resolve().then(() => ' +
                expression +
                ').then((json) => done({ json }), (e) => done({ error: String(e && e.stack ? e.message + "\\n" + e.stack : e) }))',
            })
            if (answer.error) throw new Error(answer.error)
            return answer.json
          }),
        goto: (url) => inTab(handle, () => session.send('POST', '/url', { url })),
        reload: () => inTab(handle, () => session.send('POST', '/refresh', {})),
        click: (selector) =>
          inTab(handle, async () =>
            session.send('POST', `/element/${await find(selector)}/click`, {}),
          ),
        type: (selector, text) =>
          inTab(handle, async () => {
            const id = await find(selector)
            await session.send('POST', `/element/${id}/clear`, {})
            await session.send('POST', `/element/${id}/value`, { text })
          }),
        close: () =>
          inTab(handle, async () => {
            await session.send('DELETE', '/window')
            handles.delete(handle)
            current = undefined
          }),
      })
      const context = {
        async open(url: string) {
          // A new window opens from the current one: any tab still open will do.
          const from = current ?? [...handles][0]
          if (!initial && !from) throw new Error('every tab of this WebKit context is closed')
          const handle =
            initial ??
            (await inTab(from!, async () => {
              const { handle } = await session.send('POST', '/window/new', { type: 'tab' })
              return handle as string
            }))
          initial = undefined
          handles.add(handle)
          const opened = tab(handle)
          await opened.goto(url)
          return opened
        },
        async close() {
          contexts.delete(context)
          await queue
          await session.close()
        },
      }
      contexts.add(context)
      return context
    },
    async close() {
      await Promise.all([...contexts].map((context) => context.close()))
      display.process.kill()
      proxy.server.close()
    },
  }
}

/** A WebKitWebDriver of its own (one session per driver) with a new session on MiniBrowser. */
async function newSession(display: string, proxyPort: number) {
  const port = await freePort()
  // A process group of its own, so that MiniBrowser and its web processes go with the driver.
  const driver = spawn(driverPath, [`--port=${port}`, '--host=127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DISPLAY: display },
    detached: true,
  })
  const running = () => driver.exitCode === null && driver.signalCode === null
  const kill = (signal: NodeJS.Signals) => running() && process.kill(-driver.pid!, signal)
  const stop = () => kill('SIGKILL')
  process.once('exit', stop)
  // What went before a failure: the last commands, and what the driver and MiniBrowser said.
  const recent: string[] = []
  let stderr = ''
  driver.stderr!.on('data', (data) => (stderr = (stderr + data).slice(-2000)))
  const base = `http://127.0.0.1:${port}`
  const request = async (method: string, path: string, body?: unknown, timeout = 45_000) => {
    recent.push(`${new Date().toISOString()} ${method} ${path}`)
    recent.splice(0, recent.length - 6)
    try {
      const response = await fetch(base + path, {
        method,
        // Past the page-load and script timeouts: a driver that stops answering fails the test.
        signal: AbortSignal.timeout(timeout),
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      const { value } = (await response.json()) as { value: any }
      if (!response.ok) throw new Error(`${value?.error}: ${value?.message}`)
      return value
    } catch (error) {
      throw new Error(
        `WebDriver ${method} ${path}: ${(error as Error).message}\n` +
          `recent commands:\n  ${recent.join('\n  ')}\n` +
          `driver running: ${running()}; its stderr: ${stderr}`,
        { cause: error },
      )
    }
  }
  const deadline = Date.now() + 20_000
  while (!(await request('GET', '/status', undefined, 2000).catch(() => undefined))?.ready) {
    if (Date.now() > deadline || !running())
      throw new Error(`WebKitWebDriver did not start on port ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const { sessionId, capabilities } = await request('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        // Everything but loopback goes to the blocking proxy. (The W3C `proxy` capability's
        // `sslProxy` makes WebKitGTK speak TLS to the proxy itself, hiding the host.)
        'webkitgtk:browserOptions': {
          binary: miniBrowser,
          args: [
            '--automation',
            `--proxy=http://127.0.0.1:${proxyPort}`,
            '--ignore-host=127.0.0.1',
            '--ignore-host=localhost',
          ],
        },
        'timeouts': { script: 30_000, pageLoad: 30_000, implicit: 0 },
      },
    },
  })
  return {
    capabilities,
    send: (method: string, path: string, body?: unknown) =>
      request(method, `/session/${sessionId}${path === '/' ? '' : path}`, body),
    async close() {
      await request('DELETE', `/session/${sessionId}`, undefined, 10_000).catch(() => {})
      const exit = new Promise((resolve) => driver.once('exit', resolve))
      kill('SIGTERM')
      const timer = setTimeout(() => kill('SIGKILL'), 5000)
      if (running()) await exit
      clearTimeout(timer)
      process.off('exit', stop)
    },
  }
}

function freePort(): Promise<number> {
  const server = createServer()
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    }),
  )
}

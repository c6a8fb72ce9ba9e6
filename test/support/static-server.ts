// Serves the built package, the test pages and the demo on 127.0.0.1, as a static host would.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
}

export const repoRoot = resolve(import.meta.dirname, '../..')

/** Maps URL path prefixes to folders of the repository: `{ '/': 'demo', '/dist/': 'dist' }`. */
export type Mounts = Record<string, string>

export interface StaticServer {
  origin: string
  /** Add a route answered by code instead of a file. */
  route(
    path: string,
    handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  ): void
  close(): Promise<void>
}

export async function startStaticServer(mounts: Mounts, port = 0): Promise<StaticServer> {
  const routes = new Map<
    string,
    (req: IncomingMessage, res: ServerResponse) => void | Promise<void>
  >()
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length)
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const route = routes.get(path)
    if (route) return route(req, res)
    const prefix = prefixes.find((candidate) => path.startsWith(candidate))
    if (!prefix) return notFound(res)
    const root = resolve(repoRoot, mounts[prefix])
    let file = normalize(join(root, path.slice(prefix.length)))
    if (file !== root && !file.startsWith(root + sep)) return notFound(res)
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html')
      await stat(file)
    } catch {
      return notFound(res)
    }
    res.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    })
    createReadStream(file).pipe(res)
  }
  // A bad request (a path that does not decode, a route whose upstream fails) gets an error
  // answer: an async handler's rejection would otherwise stop the whole demo.
  const server = createServer((req, res) =>
    serve(req, res).catch(() => {
      if (res.headersSent) res.destroy()
      else res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request')
    }),
  )
  await new Promise<void>((done, fail) =>
    server.once('error', fail).listen(port, '127.0.0.1', done),
  )
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    route: (path, handle) => void routes.set(path, handle),
    close: () => new Promise((done) => server.close(() => done())),
  }
}

function notFound(res: ServerResponse) {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
}

// `npm run bench`: prints one markdown report and writes it to test/bench/RESULTS.md.
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { createRequire } from 'node:module'
import { repoRoot } from '../support/static-server.js'
import { startBench } from './apps.js'
import { measureRequests } from './requests.js'
import { measureSize } from './size.js'
import { measureSpeed } from './speed.js'

const require = createRequire(import.meta.url)
const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version
const chromium = () => {
  try {
    return execFileSync(process.env.CHROME_PATH ?? '/usr/bin/chromium', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'], // Debian's wrapper script prints noise on stderr
    }).trim()
  } catch {
    return 'not found'
  }
}

const bench = await startBench()
let requests: string, speed: string
try {
  requests = await measureRequests(bench)
  speed = await measureSpeed(bench)
} finally {
  await bench.close()
}

const report = [
  '# oidc-browser benchmark',
  '',
  `Command: \`npm run bench\`. Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, ${chromium()}.`,
  `Versions: oidc-browser ${version(repoRoot)}, jose ${version('jose')}, idb-keyval ${version('idb-keyval')}, ` +
    `oidc-client-ts ${version('oidc-client-ts')}, @auth0/auth0-spa-js ${version('@auth0/auth0-spa-js')}.`,
  '',
  await measureSize(),
  '',
  requests,
  '',
  speed,
  '',
].join('\n')

console.log(report)
await writeFile(`${repoRoot}/test/bench/RESULTS.md`, report)

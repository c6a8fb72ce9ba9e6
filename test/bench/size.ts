// Size: the script-tag build against the budget, and what each library adds to an app bundle.
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { repoRoot } from '../support/static-server.js'
import { measureDpopSize } from './dpop-size.js'

// SPEC "Performance budgets", gzip: the IIFE with every feature, and an app with redirect login.
const budget = 15_000
const aim = 13_000
const appBudget = 13_000
const appAim = 11_000
// Names that only JWE code carries: their presence would mean more of jose than verification.
const jweOnly = ['RSA-OAEP', 'AES-GCM', 'PBKDF2', 'ECDH']

const gzip = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length
const brotli = (bytes: Uint8Array) =>
  brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length

interface Sizes {
  minified: number
  gzip: number
  brotli: number
}

function sizesOf(bytes: Uint8Array): Sizes {
  return { minified: bytes.length, gzip: gzip(bytes), brotli: brotli(bytes) }
}

/** An app that imports one name, bundled as the issue says: esbuild, minified, ESM, browser. */
async function appBundle(source: string) {
  const result = await build({
    stdin: { contents: source, resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
    alias: { 'oidc-browser': `${repoRoot}/dist/index.js` },
  })
  const [output] = result.outputFiles
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  return { sizes: sizesOf(output.contents), inputs }
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`

export async function measureSize(): Promise<string> {
  const iifePath = `${repoRoot}/dist/oidc-browser.iife.min.js`
  const iife = await readFile(iifePath)
  // gzip -9 as the budget is stated: the command-line tool, whose output is a little smaller than Node's zlib.
  const own = { ...sizesOf(iife), gzip: execFileSync('gzip', ['-9', '-c', iifePath]).length }
  const bleed = jweOnly.filter((name) => iife.includes(name))
  const apps = {
    'oidc-browser `OidcClient`': await appBundle("export { OidcClient } from 'oidc-browser'"),
    'oidc-client-ts `UserManager`': await appBundle("export { UserManager } from 'oidc-client-ts'"),
    'auth0-spa-js `createAuth0Client`': await appBundle(
      "export { createAuth0Client } from '@auth0/auth0-spa-js'",
    ),
  }
  const ours = apps['oidc-browser `OidcClient`']
  const share = { 'jose': 0, 'idb-keyval': 0, 'oidc-browser (own code)': 0 }
  for (const [path, { bytesInOutput }] of Object.entries(ours.inputs)) {
    const key = path.includes('node_modules/jose')
      ? 'jose'
      : path.includes('idb-keyval')
        ? 'idb-keyval'
        : 'oidc-browser (own code)'
    share[key] += bytesInOutput
  }
  const lines = [
    '## Size',
    '',
    '`dist/oidc-browser.iife.min.js` (everything bundled, jose included):',
    '',
    '| minified | gzip -9 | brotli | budget (gzip) | aim (gzip) |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${own.minified} B | **${own.gzip} B** | ${own.brotli} B | ${budget} B (${own.gzip <= budget ? 'met' : 'OVER'}) | ${aim} B (${own.gzip <= aim ? 'met' : 'not met'}) |`,
    '',
    `JWE-only code in the IIFE (${jweOnly.join(', ')}): ${bleed.length ? `**found: ${bleed.join(', ')}**` : 'none'}.`,
    '',
    'What `import` of each library adds to an app bundle (esbuild `--bundle --minify --format=esm --platform=browser`):',
    '',
    '| import | minified | gzip | brotli | gzip ratio to oidc-browser |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(apps).map(
      ([name, { sizes }]) =>
        `| ${name} | ${kb(sizes.minified)} | ${kb(sizes.gzip)} | ${kb(sizes.brotli)} | ${(sizes.gzip / ours.sizes.gzip).toFixed(2)}× |`,
    ),
    '',
    `An app importing \`OidcClient\` with redirect login: ${ours.sizes.gzip} B gzip; budget ${appBudget} B (${ours.sizes.gzip <= appBudget ? 'met' : 'OVER'}), aim ${appAim} B (${ours.sizes.gzip <= appAim ? 'met' : 'not met'}).`,
    '',
    "Where oidc-browser's minified bytes come from:",
    '',
    '| part | minified bytes | share |',
    '| --- | ---: | ---: |',
    ...Object.entries(share).map(
      ([name, bytes]) =>
        `| ${name} | ${bytes} | ${((100 * bytes) / ours.sizes.minified).toFixed(0)} % |`,
    ),
    '',
    ...(await measureDpopSize()),
  ]
  return lines.join('\n')
}

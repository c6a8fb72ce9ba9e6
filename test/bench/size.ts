// Size: the script-tag build against the budget, what each library adds to an app bundle, and
// what each optional feature adds to ours.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build, type Metafile, type Plugin } from 'esbuild'
import { repoRoot } from '../support/static-server.js'

// SPEC "Performance budgets", gzip: the IIFE with every feature, and an app with redirect login.
const budget = 15_000
const aim = 13_000
const appBudget = 13_000
const appAim = 11_000
// Names that only JWE code carries: their presence would mean more of jose than verification.
const jweOnly = ['RSA-OAEP', 'AES-GCM', 'PBKDF2', 'ECDH']

/**
 * The optional features and the modules that implement them: edit this table when a module is
 * renamed. A feature with `export` is one an app opts into by importing that name (DPoP): its
 * marginal bytes are those of an app importing it too. The others are methods of `OidcClient`,
 * which no bundler can drop: their marginal bytes are what the app loses when their modules are
 * replaced by empty stubs. A feature whose export or modules are missing is listed as absent.
 */
const features: { name: string; export?: string; modules: string[] }[] = [
  { name: 'DPoP (`dpop()`)', export: 'dpop', modules: ['src/dpop.ts'] },
  { name: '`client.fetch`', modules: ['src/authorized-fetch.ts'] },
  { name: 'popup sign-in', modules: ['src/popup.ts'] },
  { name: 'silent sign-in', modules: ['src/silent.ts'] },
  { name: 'the hand-off both share', modules: ['src/handoff.ts'] },
  { name: 'userinfo', modules: ['src/userinfo.ts'] },
]

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

/**
 * An app made of `source`, bundled as the issue says: esbuild, minified, ESM, browser.
 * `oidc-browser` is the built `dist/index.js`; `./src/…` imports bundle the sources, where
 * `stubbed` modules are replaced by empty functions of the same export names.
 */
async function appBundle(source: string, stubbed: string[] = []) {
  const result = await build({
    stdin: { contents: source, resolveDir: repoRoot, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // Metafile paths relative to the repository: `src/…`, `node_modules/…`.
    absWorkingDir: repoRoot,
    alias: { 'oidc-browser': `${repoRoot}/dist/index.js` },
    plugins: [stubPlugin(stubbed.map((path) => `${repoRoot}/${path}`))],
  })
  const [output] = result.outputFiles
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  return { sizes: sizesOf(output.contents), inputs }
}

/** The value exports of a module, as esbuild reads them. */
async function exportsOf(path: string): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [path],
    write: false,
    metafile: true,
    format: 'esm',
    logLevel: 'silent',
  })
  return Object.values(metafile.outputs)[0].exports
}

function stubPlugin(paths: string[]): Plugin {
  return {
    name: 'stub',
    setup(bundler) {
      bundler.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        if (!paths.includes(path)) return undefined
        const names = await exportsOf(path)
        return {
          contents: names.map((name) => `export function ${name}() {}`).join('\n'),
          loader: 'js',
        }
      })
    },
  }
}

const ownBytes = (inputs: Metafile['outputs'][string]['inputs'], modules: string[]) =>
  modules.reduce((sum, path) => sum + (inputs[path]?.bytesInOutput ?? 0), 0)

/** Each feature's marginal bytes in an app bundle, or why it is not measured. */
async function measureFeatures() {
  const core = "export { OidcClient } from './src/index.ts'"
  const full = await appBundle(core)
  const rows: string[] = []
  for (const feature of features) {
    const present = feature.modules.filter((path) => existsSync(`${repoRoot}/${path}`))
    let cells: string
    if (feature.export) {
      if (!(await exportsOf(`${repoRoot}/dist/index.js`)).includes(feature.export)) {
        rows.push(
          `| ${feature.name} | \`${feature.export}\` not exported by dist/index.js | – | – | – |`,
        )
        continue
      }
      const without = await appBundle("export { OidcClient } from 'oidc-browser'")
      const withIt = await appBundle(`export { OidcClient, ${feature.export} } from 'oidc-browser'`)
      cells = `${withIt.sizes.minified - without.sizes.minified} B | ${withIt.sizes.gzip - without.sizes.gzip} B | app importing \`${feature.export}\` too, minus app without; ${ownBytes(full.inputs, present)} B of its modules in an app without it`
    } else {
      if (present.length === 0) {
        rows.push(`| ${feature.name} | ${feature.modules.join(', ')}: not present | – | – | – |`)
        continue
      }
      const stubbed = await appBundle(core, present)
      cells = `${full.sizes.minified - stubbed.sizes.minified} B | ${full.sizes.gzip - stubbed.sizes.gzip} B | app minus app with the modules stubbed`
    }
    rows.push(`| ${feature.name} | ${present.join(', ') || '–'} | ${cells} |`)
  }
  return { full, rows }
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
  // What the SPEC's dependencies weigh by themselves: the floor under any app of ours.
  const dependencies = await appBundle(
    "export { compactVerify, base64url } from 'jose'; export { promisifyRequest } from 'idb-keyval'",
  )
  const { full: fromSources, rows: featureRows } = await measureFeatures()
  const modules = Object.entries(fromSources.inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
    .map(([path, { bytesInOutput }]) => `${path.replace(/^.*node_modules\//, '')} ${bytesInOutput}`)
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
    `The dependencies alone, as we use them (jose's \`compactVerify\` and \`base64url\`, idb-keyval's \`promisifyRequest\`), bundled the same way: ${dependencies.sizes.gzip} B gzip. That leaves about ${appBudget - dependencies.sizes.gzip} B of the budget for our own code, which adds ${ours.sizes.gzip - dependencies.sizes.gzip} B to them.`,
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
    `Per module (minified bytes in the same app bundled from \`src/\`, ${fromSources.sizes.gzip} B gzip; esbuild metafile \`bytesInOutput\`): ${modules.join(', ')}.`,
    '',
    "What each optional feature adds to that app (a feature's modules are in `features`, test/bench/size.ts):",
    '',
    '| feature | modules | minified | gzip | measured as |',
    '| --- | --- | ---: | ---: | --- |',
    ...featureRows,
  ]
  return lines.join('\n')
}

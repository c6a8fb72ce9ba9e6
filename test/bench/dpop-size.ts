// Marginal bytes of DPoP and of client.fetch in an app bundle, and a check that an app without
// dpop() carries none of DPoP's signing code.
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild'
import { repoRoot } from '../support/static-server.js'

// Strings only DPoP's signing code carries: its proof type, and jose's JWK-thumbprint and JWT-signing code.
const dpopOnly = ['dpop+jwt', 'setProtectedHeader', '"kty" (Key Type) Parameter missing']

// client.fetch and authorizationHeaders replaced by nothing: the OidcClient they would be in.
const withoutClientFetch: Plugin = {
  name: 'without-client-fetch',
  setup: (plugin) =>
    plugin.onLoad({ filter: /authorized-fetch\.ts$/ }, () => ({
      contents: 'export const authorizedFetch = 0, authorizationHeaders = 0',
      loader: 'ts',
    })),
}

async function gzipOf(source: string, plugins: Plugin[] = []) {
  const result = await build({
    stdin: { contents: source, resolveDir: repoRoot, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    plugins,
  })
  const code = result.outputFiles[0].text
  return { gzip: gzipSync(code, { level: 9 }).length, code }
}

export async function measureDpopSize(): Promise<string[]> {
  const app = "export { OidcClient } from './src/index.ts'"
  const base = await gzipOf(app)
  const withDpop = await gzipOf(
    "import { OidcClient, dpop } from './src/index.ts'\nexport const create = (o) => new OidcClient({ ...o, dpop: dpop() })",
  )
  const noFetch = await gzipOf(app, [withoutClientFetch])
  const bleed = dpopOnly.filter((marker) => base.code.includes(marker))
  const missing = dpopOnly.filter((marker) => !withDpop.code.includes(marker))
  return [
    'Marginal bytes of the DPoP module and of `client.fetch` (esbuild bundles of `src/`, gzip -9 by zlib):',
    '',
    '| app | gzip | marginal |',
    '| --- | ---: | ---: |',
    `| \`OidcClient\`, redirect login | ${base.gzip} B | |`,
    `| the same with \`dpop: dpop()\` | ${withDpop.gzip} B | **+${withDpop.gzip - base.gzip} B** |`,
    `| the same without \`client.fetch\`/\`authorizationHeaders\` | ${noFetch.gzip} B | \`client.fetch\`: **+${base.gzip - noFetch.gzip} B** |`,
    '',
    `DPoP signing code (${dpopOnly.map((m) => `\`${m}\``).join(', ')}) in the app without \`dpop()\`: ${bleed.length ? `**found: ${bleed.join(', ')}**` : 'none'}${missing.length ? ` (markers missing from the DPoP app: ${missing.join(', ')})` : ''}.`,
  ]
}

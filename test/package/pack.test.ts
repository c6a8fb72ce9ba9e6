// The package as a user gets it: packed, unpacked into a fresh app, imported and bundled.
// Offline: the app's other dependencies are links to ours, so nothing reaches the registry.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { build } from 'esbuild'
import { repoRoot } from '../support/static-server.js'

let app: string
let packed: string[]

before(async () => {
  app = await mkdtemp(join(tmpdir(), 'oidc-browser-app-'))
  const [{ filename, files }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', app], {
      cwd: repoRoot,
      encoding: 'utf8',
    }),
  )
  packed = files.map((file: { path: string }) => file.path).sort()
  const modules = join(app, 'node_modules')
  await mkdir(join(modules, 'oidc-browser'), { recursive: true })
  execFileSync('tar', [
    '-xzf',
    join(app, filename),
    '-C',
    join(modules, 'oidc-browser'),
    '--strip-components=1',
  ])
  for (const name of ['jose', 'idb-keyval', 'react', 'vue', '@vue']) {
    await symlink(join(repoRoot, 'node_modules', name), join(modules, name))
  }
  await writeFile(join(app, 'package.json'), '{ "type": "module" }')
  await writeFile(
    join(app, 'core.js'),
    "export { OidcClient, OidcError, isOidcError } from 'oidc-browser'\n",
  )
  await writeFile(join(app, 'react.js'), "export { useAuth } from 'oidc-browser/react'\n")
  await writeFile(join(app, 'vue.js'), "export { useAuth } from 'oidc-browser/vue'\n")
})

after(() => rm(app, { recursive: true, force: true }))

test('the tarball holds the built files, the README and package.json only', () => {
  assert.deepEqual(
    packed.filter((path) => !path.startsWith('dist/')),
    ['README.md', 'package.json'],
  )
  for (const file of [
    'index.js',
    'index.d.ts',
    'react.js',
    'react.d.ts',
    'vue.js',
    'vue.d.ts',
    'oidc-browser.iife.min.js',
  ]) {
    assert.ok(packed.includes(`dist/${file}`), file)
  }
  // Nothing left over from an older build: every declaration has its source.
  for (const path of packed.filter((path) => path.endsWith('.d.ts')))
    assert.ok(existsSync(join(repoRoot, path.replace(/^dist\/(.*)\.d\.ts$/, 'src/$1.ts'))), path)
})

test('each entry bundles for the browser, and the core pulls in neither React nor Vue', async () => {
  const bundle = async (entry: string) => {
    const result = await build({
      entryPoints: [join(app, entry)],
      absWorkingDir: app,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    return Object.keys(result.metafile.inputs)
  }
  const core = await bundle('core.js')
  assert.ok(core.some((input) => input.includes('oidc-browser/dist/index.js')))
  assert.ok(
    !core.some((input) => /node_modules\/(react|vue|@vue)\//.test(input)),
    'no framework in the core',
  )
  assert.ok((await bundle('react.js')).some((input) => input.includes('node_modules/react/')))
  assert.ok((await bundle('vue.js')).some((input) => input.includes('@vue/')))
})

test('Node imports the core with no side effect and the same names as the script tag', async () => {
  const names = execFileSync(
    'node',
    [
      '--input-type=module',
      '-e',
      "console.log(Object.keys(await import('oidc-browser')).sort().join())",
    ],
    { cwd: app, encoding: 'utf8' },
  ).trim()
  assert.equal(names, 'OidcClient,OidcError,dpop,isOidcError')
  // The script tag's global, as a classic script defines it.
  const iifePath = join(app, 'node_modules/oidc-browser/dist/oidc-browser.iife.min.js')
  const script = `require('vm').runInThisContext(require('fs').readFileSync(${JSON.stringify(iifePath)}, 'utf8'))
    console.log(Object.keys(OidcBrowser).sort().join())`
  const iife = execFileSync('node', ['-e', script], { encoding: 'utf8' }).trim()
  assert.equal(iife, names)
})

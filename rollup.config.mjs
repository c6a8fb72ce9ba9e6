import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import { rmSync } from 'node:fs'

// A fresh dist/ each build: a file an older build left (a removed module's declarations) would
// otherwise ship in the package.
rmSync('dist', { recursive: true, force: true })

// Subpaths too (`jose/base64url`): left to the app's bundler like the package itself.
const external = (id) => /^(jose|idb-keyval|react|vue)(\/|$)/.test(id)

export default [
  // The npm entries: ESM with the dependencies left to the app's bundler, plus declarations.
  // The adapters import only types from the core, so neither pulls the other in.
  {
    input: { index: 'src/index.ts', react: 'src/react.ts', vue: 'src/vue.ts' },
    external,
    output: { dir: 'dist', format: 'es' },
    plugins: [
      typescript({
        tsconfig: './tsconfig.json',
        outDir: 'dist',
        declaration: true,
        declarationDir: 'dist',
      }),
    ],
  },
  // The script-tag build: everything bundled and minified under the global OidcBrowser.
  {
    input: 'src/index.ts',
    output: { file: 'dist/oidc-browser.iife.min.js', format: 'iife', name: 'OidcBrowser' },
    plugins: [
      typescript({
        tsconfig: './tsconfig.json',
        declaration: false,
        outDir: undefined,
        noEmitOnError: true,
      }),
      nodeResolve({ browser: true }),
      terser({ ecma: 2022, module: false, compress: { passes: 3 } }),
    ],
  },
]

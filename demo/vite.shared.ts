// Shared Vite settings of the React and Vue demo apps: they use the built package, as a user would.
import { fileURLToPath } from 'node:url'
import type { UserConfig } from 'vite'

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))

export function demoAppConfig(base: string): UserConfig {
  return {
    base,
    logLevel: 'warn',
    resolve: {
      alias: [
        { find: /^oidc-browser$/, replacement: dist('index.js') },
        { find: /^oidc-browser\/react$/, replacement: dist('react.js') },
        { find: /^oidc-browser\/vue$/, replacement: dist('vue.js') },
      ],
    },
    build: { emptyOutDir: true },
  }
}

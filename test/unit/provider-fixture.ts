import { validateConfig } from '../../src/config.js'
import { createProvider } from '../../src/provider.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { makeKey } from './helpers.js'

// The provider tests' fixture: a discovery document, two keys, and a provider over a counted fetch.
export const issuer = 'https://id.example.com'
export const discovery = {
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
}

export const keyA = await makeKey('RS256', 'a')
export const keyB = await makeKey('RS256', 'b')

/** A provider over an injected fetch that serves the given documents and counts requests. */
export function setup(
  documents: { discovery?: unknown; jwks?: () => unknown } = {},
  vault: Vault = createMemoryVault(),
) {
  const requests: string[] = []
  let time = 1_800_000_000
  let monotonic = 0
  const fetchFn = (async (url: string) => {
    const path = new URL(url).pathname
    requests.push(path)
    const body =
      path === '/jwks'
        ? (documents.jwks ?? (() => ({ keys: [keyA.jwk] })))()
        : (documents.discovery ?? discovery)
    return new Response(JSON.stringify(body))
  }) as typeof fetch
  const config = validateConfig({
    issuer,
    clientId: 'spa',
    redirectUri: 'https://app.example.com/cb',
    fetch: fetchFn,
  })
  const provider = createProvider({
    config,
    vault: () => vault,
    now: () => time,
    monotonic: () => monotonic * 1000,
  })
  return {
    provider,
    requests,
    vault,
    advance: (seconds: number) => ((time += seconds), (monotonic += seconds)),
    moveWallClock: (seconds: number) => (time += seconds),
  }
}

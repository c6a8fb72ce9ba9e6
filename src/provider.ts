import type { JWK } from 'jose'
import { idTokenInvalid } from './errors.js'
import { discoveryUrl, validateMetadata, type ProviderMetadata } from './discovery.js'
import { getJson } from './http.js'
import { selectKey, validateJwks } from './jwks.js'
import type { KeyResolver } from './id-token.js'
import type { ResolvedConfig } from './config.js'
import type { Vault } from './vault.js'

const cacheTtlSeconds = 3600
// An unknown kid, or a key that fails, may mean the provider rotated its keys, but must not let
// tokens make us hammer it.
const jwksRefetchIntervalSeconds = 30

interface Cached<T> {
  fetchedAt: number
  value: T
}

export interface ProviderOptions {
  config: ResolvedConfig
  /** Where discovery and the JWKS are cached; read at each call, since the client may swap it. */
  vault: () => Vault
  /** Current time, epoch seconds. */
  now: () => number
}

/**
 * The provider's metadata and keys, cached in memory and in the vault for an hour. A failed
 * cache write is ignored: the cache only saves requests.
 */
export function createProvider({ config, vault, now }: ProviderOptions) {
  let metadataCache: Cached<ProviderMetadata> | undefined
  let jwksCache: Cached<JWK[]> | undefined

  async function readCache<T>(
    key: string,
    validate: (value: unknown) => T,
  ): Promise<Cached<T> | undefined> {
    try {
      const record = (await vault().get(key)) as Partial<Cached<unknown>> | undefined
      const fetchedAt = record?.fetchedAt
      if (
        typeof fetchedAt !== 'number' ||
        fetchedAt > now() ||
        now() - fetchedAt >= cacheTtlSeconds
      )
        return undefined
      return { fetchedAt, value: validate(record?.value) }
    } catch {
      return undefined
    }
  }

  async function writeCache(key: string, cached: Cached<unknown>) {
    await vault()
      .set(key, cached)
      .catch(() => {})
  }

  const isFresh = (cached: Cached<unknown> | undefined): cached is Cached<never> =>
    cached !== undefined && now() - cached.fetchedAt < cacheTtlSeconds

  async function metadata(): Promise<ProviderMetadata> {
    if (config.metadata) return config.metadata
    if (isFresh(metadataCache)) return metadataCache.value
    const validate = (value: unknown) => validateMetadata(value, config.issuer)
    metadataCache = await readCache('discovery', validate)
    if (!metadataCache) {
      metadataCache = {
        fetchedAt: now(),
        value: validate(
          await getJson(config.fetch, discoveryUrl(config.issuer), 'discovery_error'),
        ),
      }
      await writeCache('discovery', metadataCache)
    }
    return metadataCache.value
  }

  async function fetchKeys(): Promise<Cached<JWK[]>> {
    const { jwks_uri } = await metadata()
    jwksCache = {
      fetchedAt: now(),
      value: validateJwks(await getJson(config.fetch, jwks_uri, 'jwks_error')),
    }
    await writeCache('jwks', jwksCache)
    return jwksCache
  }

  async function loadKeys(): Promise<Cached<JWK[]>> {
    return (jwksCache = await readCache('jwks', (keys) => validateJwks({ keys }))) ?? fetchKeys()
  }

  // One load at a time: a callback starts it early (prefetchKeys), and the validation joins it.
  let keysLoading: Promise<Cached<JWK[]>> | undefined
  function keys(): Promise<Cached<JWK[]>> {
    if (isFresh(jwksCache)) return Promise.resolve(jwksCache)
    return (keysLoading ??= loadKeys().finally(() => (keysLoading = undefined)))
  }

  const resolveKey: KeyResolver = async (header, failed) => {
    let cached = await keys()
    let jwk = failed ?? selectKey(cached.value, header)
    if ((!jwk || failed) && now() - cached.fetchedAt >= jwksRefetchIntervalSeconds) {
      cached = await fetchKeys()
      jwk = selectKey(cached.value, header)
    }
    if (!jwk) throw idTokenInvalid('kid', 'no key of the provider JWKS fits the ID token')
    return jwk
  }

  return { metadata, resolveKey, prefetchKeys: () => void keys().catch(() => {}) }
}

export type Provider = ReturnType<typeof createProvider>

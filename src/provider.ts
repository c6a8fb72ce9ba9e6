import type { JWK } from 'jose'
import { OidcError, idTokenInvalid } from './errors.js'
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
  /** When fetched, epoch seconds: what the shared cache records. */
  fetchedAt: number
  value: T
}

// Ages kept in memory run on the monotonic clock, so a wall clock set back cannot keep a cache
// fresh, or a refetch interval from ending, forever.
interface Held<T> extends Cached<T> {
  heldSince: number
}

export interface ProviderOptions {
  config: ResolvedConfig
  /** Where discovery and the JWKS are cached; read at each call, since the client may swap it. */
  vault: () => Vault
  /** Current time, epoch seconds. */
  now: () => number
  /** A monotonic clock, milliseconds (default `performance.now`). */
  monotonic?: () => number
}

/**
 * The provider's metadata and keys, cached in memory and in the vault for an hour. A failed
 * cache write is ignored: the cache only saves requests.
 */
export function createProvider({
  config,
  vault,
  now,
  monotonic = () => performance.now(),
}: ProviderOptions) {
  let metadataCache: Held<ProviderMetadata> | undefined
  let jwksCache: Held<JWK[]> | undefined
  let keysFetchedAt = -Infinity

  // A stored timestamp in the future is stale: the clock that wrote it, or this one, is wrong.
  async function readCache<T>(
    key: string,
    validate: (value: unknown) => T,
  ): Promise<Held<T> | undefined> {
    try {
      const record = (await vault().get(key)) as Partial<Cached<unknown>> | undefined
      const fetchedAt = record?.fetchedAt
      const age = now() - (fetchedAt as number)
      if (typeof fetchedAt !== 'number' || !(age >= 0 && age < cacheTtlSeconds)) return undefined
      return { fetchedAt, value: validate(record?.value), heldSince: monotonic() - age * 1000 }
    } catch {
      return undefined
    }
  }

  async function fetchCache<T>(key: string, url: string, validate: (value: unknown) => T) {
    const code = key === 'jwks' ? 'jwks_error' : 'discovery_error'
    const value = validate(await getJson(config.fetch, url, code))
    const held: Held<T> = { fetchedAt: now(), value, heldSince: monotonic() }
    await vault()
      .set(key, { fetchedAt: held.fetchedAt, value })
      .catch(() => {})
    return held
  }

  const isFresh = (cached: Held<unknown> | undefined): cached is Held<never> =>
    cached !== undefined && monotonic() - cached.heldSince < cacheTtlSeconds * 1000

  // Reads of the shared cache that callers join while one is out; what they find is held.
  let metadataReading: Promise<unknown> | undefined
  const readMetadata = () =>
    (metadataReading ??= readCache('discovery', (value) =>
      validateMetadata(value, config.issuer),
    ).then((cached) => {
      metadataReading = undefined
      if (cached) metadataCache = cached
    }))

  // One discovery request at a time: callers that find nothing fresh meanwhile join it.
  let metadataLoading: Promise<Held<ProviderMetadata>> | undefined
  async function metadata(): Promise<ProviderMetadata> {
    if (config.metadata) return config.metadata
    if (!isFresh(metadataCache)) await readMetadata()
    if (!isFresh(metadataCache)) {
      const validate = (value: unknown) => validateMetadata(value, config.issuer)
      metadataCache = await (metadataLoading ??= fetchCache(
        'discovery',
        discoveryUrl(config.issuer),
        validate,
      ).finally(() => (metadataLoading = undefined)))
    }
    return metadataCache.value
  }

  const readKeys = () => readCache('jwks', (keys) => validateJwks({ keys }))

  async function fetchKeys(): Promise<Held<JWK[]>> {
    keysFetchedAt = monotonic()
    return (jwksCache = await fetchCache('jwks', (await metadata()).jwks_uri, validateJwks))
  }

  let keysReading: Promise<unknown> | undefined
  const readSharedKeys = () =>
    (keysReading ??= readKeys().then((cached) => {
      keysReading = undefined
      if (cached) jwksCache = cached
    }))

  // One load at a time: a callback starts it early (prefetchKeys), and the validation joins it.
  let keysLoading: Promise<Held<JWK[]>> | undefined
  function keys(): Promise<Held<JWK[]>> {
    if (isFresh(jwksCache)) return Promise.resolve(jwksCache)
    return (keysLoading ??= readSharedKeys()
      .then(() => (isFresh(jwksCache) ? jwksCache : fetchKeys()))
      .finally(() => (keysLoading = undefined)))
  }

  const resolveKey: KeyResolver = async (header, failed) => {
    let jwk = failed ? undefined : selectKey((await keys()).value, header)
    if (!jwk) {
      // Another tab may have fetched the provider's new keys already: the shared cache first.
      const shared = await readKeys()
      const found = shared && selectKey(shared.value, header)
      // The same key as the one that failed is no news: then only a refetch can help.
      if (found && JSON.stringify(found) !== JSON.stringify(failed))
        [jwksCache, jwk] = [shared, found]
    }
    if (jwk && jwk !== failed) return jwk
    // At most once per interval from this tab's last fetch. (Another tab's fetch, read from the
    // shared cache, is not counted: a login signed with a key published since would fail.)
    if (monotonic() - keysFetchedAt >= jwksRefetchIntervalSeconds * 1000) {
      jwk = selectKey((await fetchKeys()).value, header)
      if (!jwk) throw idTokenInvalid('kid', 'no key of the provider JWKS fits the ID token')
      return jwk
    }
    if (failed) return failed
    // The provider may have published the key a moment ago: this cannot be decided now.
    throw new OidcError(
      'jwks_error',
      'no cached key fits the ID token, and the JWKS was just fetched',
    )
  }

  return {
    metadata,
    resolveKey,
    prefetchKeys: () => void keys().catch(() => {}),
    /**
     * Reads the cached metadata and keys into memory, never fetching: called beside a read of
     * the session, so that the vault reads all three in one transaction.
     */
    preload() {
      if (!config.metadata && !isFresh(metadataCache)) void readMetadata()
      if (!isFresh(jwksCache)) void readSharedKeys()
    },
  }
}

export type Provider = ReturnType<typeof createProvider>

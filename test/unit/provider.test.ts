import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { validateConfig } from '../../src/config.js'
import { createProvider } from '../../src/provider.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { rejectsWith } from './helpers.js'
import { discovery, issuer, keyA, keyB, setup } from './provider-fixture.js'

describe('provider metadata and keys', () => {
  test('discovery is fetched once and cached for an hour', async () => {
    const { provider, requests, advance } = setup()
    await provider.metadata()
    advance(3599)
    await provider.metadata()
    assert.deepEqual(requests, ['/.well-known/openid-configuration'])
    advance(1)
    await provider.metadata()
    assert.equal(requests.length, 2)
  })
  test('a second client over the same vault reads the cache, with no request', async () => {
    const first = setup()
    await first.provider.resolveKey({ alg: 'RS256', kid: 'a' })
    const second = setup({}, first.vault)
    assert.equal((await second.provider.resolveKey({ alg: 'RS256', kid: 'a' })).kid, 'a')
    assert.deepEqual(second.requests, [])
  })
  test('preload reads the cached metadata and keys without a request, and later calls use them', async () => {
    const first = setup()
    await first.provider.resolveKey({ alg: 'RS256', kid: 'a' })
    const reads: string[] = []
    const counting: Vault = {
      ...first.vault,
      get: (key) => (reads.push(key), first.vault.get(key)),
    }
    const second = setup({}, counting)
    second.provider.preload()
    assert.deepEqual(reads, ['discovery', 'jwks'])
    assert.equal((await second.provider.metadata()).issuer, issuer)
    assert.equal((await second.provider.resolveKey({ alg: 'RS256', kid: 'a' })).kid, 'a')
    second.provider.preload()
    assert.deepEqual(reads, ['discovery', 'jwks'])
    assert.deepEqual(second.requests, [])
  })
  test('preload fetches nothing when nothing is cached', async () => {
    const { provider, requests } = setup()
    provider.preload()
    await new Promise((resolve) => setTimeout(resolve, 0))
    assert.deepEqual(requests, [])
    await provider.metadata()
    assert.deepEqual(requests, ['/.well-known/openid-configuration'])
  })
  test('a cached record of the wrong shape is refetched', async () => {
    const vault = createMemoryVault()
    await vault.set('discovery', { fetchedAt: 'yesterday', value: discovery })
    await vault.set('jwks', { fetchedAt: 1_800_000_000, value: 'junk' })
    const { provider, requests } = setup({}, vault)
    await provider.resolveKey({ alg: 'RS256', kid: 'a' })
    assert.deepEqual(requests, ['/.well-known/openid-configuration', '/jwks'])
  })
  test('an unknown kid refetches the JWKS, at most once per 30 s; inside that it cannot be decided (jwks_error)', async () => {
    let rotated = false
    const { provider, requests, advance } = setup({
      jwks: () => ({ keys: rotated ? [keyA.jwk, keyB.jwk] : [keyA.jwk] }),
    })
    const jwksRequests = () => requests.filter((path) => path === '/jwks').length
    await provider.resolveKey({ alg: 'RS256', kid: 'a' })
    rotated = true
    advance(29)
    await rejectsWith(provider.resolveKey({ alg: 'RS256', kid: 'b' }), 'jwks_error')
    assert.equal(jwksRequests(), 1)
    advance(1)
    assert.equal((await provider.resolveKey({ alg: 'RS256', kid: 'b' })).kid, 'b')
    assert.equal(jwksRequests(), 2)
    await rejectsWith(provider.resolveKey({ alg: 'RS256', kid: 'c' }), 'jwks_error')
    assert.equal(jwksRequests(), 2)
    advance(30)
    // Still unknown in a set fetched just now: the token names a key the provider does not have.
    await rejectsWith(provider.resolveKey({ alg: 'RS256', kid: 'c' }), 'id_token_invalid', 'kid')
    assert.equal(jwksRequests(), 3)
  })
  test('a key another tab fetched into the shared cache is found there, with no request', async () => {
    let rotated = false
    const jwks = () => ({ keys: rotated ? [keyA.jwk, keyB.jwk] : [keyA.jwk] })
    const first = setup({ jwks })
    await first.provider.resolveKey({ alg: 'RS256', kid: 'a' })
    const second = setup({ jwks }, first.vault)
    await second.provider.resolveKey({ alg: 'RS256', kid: 'a' })
    rotated = true
    first.advance(31)
    second.advance(31)
    assert.equal((await first.provider.resolveKey({ alg: 'RS256', kid: 'b' })).kid, 'b')
    assert.equal((await second.provider.resolveKey({ alg: 'RS256', kid: 'b' })).kid, 'b')
    assert.deepEqual(second.requests, [], 'the second read the key the first fetched')
  })
  test('discovery is asked once however many calls find nothing fresh at the same time', async () => {
    const { provider, requests } = setup()
    await Promise.all([provider.metadata(), provider.metadata(), provider.metadata()])
    assert.deepEqual(requests, ['/.well-known/openid-configuration'])
  })
  test('a wall clock set back keeps neither the cache fresh nor the refetch interval running', async () => {
    let rotated = false
    const { provider, requests, advance, moveWallClock } = setup({
      jwks: () => ({ keys: rotated ? [keyA.jwk, keyB.jwk] : [keyA.jwk] }),
    })
    await provider.resolveKey({ alg: 'RS256', kid: 'a' })
    rotated = true
    moveWallClock(-86_400)
    advance(31)
    assert.equal((await provider.resolveKey({ alg: 'RS256', kid: 'b' })).kid, 'b')
    assert.equal(requests.filter((path) => path === '/jwks').length, 2)
    advance(3600)
    await provider.metadata()
    assert.equal(requests.filter((path) => path.startsWith('/.well-known')).length, 2)
  })
  test('keys prefetched during a callback are loaded once, however the validation overlaps it', async () => {
    const { provider, requests } = setup()
    await provider.metadata()
    provider.prefetchKeys()
    assert.equal((await provider.resolveKey({ alg: 'RS256', kid: 'a' })).kid, 'a')
    assert.deepEqual(requests, ['/.well-known/openid-configuration', '/jwks'])
  })

  test('a failed prefetch is reported by the validation that needs the keys', async () => {
    const { provider } = setup({ jwks: () => 'not a key set' })
    provider.prefetchKeys()
    await rejectsWith(provider.resolveKey({ alg: 'RS256', kid: 'a' }), 'jwks_error')
  })

  test('a bad discovery document is discovery_error', async () => {
    await rejectsWith(
      setup({
        discovery: { ...discovery, issuer: 'https://evil.example.com' },
      }).provider.metadata(),
      'discovery_error',
    )
  })
  test('a bad JWKS is jwks_error', async () => {
    await rejectsWith(
      setup({ jwks: () => ({ keys: {} }) }).provider.resolveKey({ alg: 'RS256' }),
      'jwks_error',
    )
  })
  test('static metadata skips discovery', async () => {
    const { requests } = setup()
    const config = validateConfig({
      issuer,
      clientId: 'spa',
      redirectUri: 'https://app.example.com/cb',
      metadata: discovery,
    })
    assert.equal(
      (await createProvider({ config, vault: createMemoryVault, now: Date.now }).metadata()).issuer,
      issuer,
    )
    assert.deepEqual(requests, [])
  })
})

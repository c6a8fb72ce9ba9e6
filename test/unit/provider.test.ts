import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { validateConfig } from '../../src/config.js'
import { validateStoredIdToken } from '../../src/id-token.js'
import { createProvider } from '../../src/provider.js'
import { createMemoryVault, type Vault } from '../../src/vault.js'
import { makeKey, rejectsWith, sign, type TestKey } from './helpers.js'

const issuer = 'https://id.example.com'
const discovery = {
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
}

let keyA: TestKey
let keyB: TestKey
before(async () => {
  keyA = await makeKey('RS256', 'a')
  keyB = await makeKey('RS256', 'b')
})

/** A provider over an injected fetch that serves the given documents and counts requests. */
function setup(
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

describe('a key the provider replaced under the same kid, or its only key', () => {
  // The provider's new key keeps the old kid; a token signed with it fails against the cached set.
  async function rotation(header: Record<string, unknown>) {
    let rotated = false
    const replacement = { ...keyB, kid: 'a', jwk: { ...keyB.jwk, kid: 'a' } }
    const context = setup({ jwks: () => ({ keys: [(rotated ? replacement : keyA).jwk] }) })
    const token = await sign({ iss: issuer, sub: 'alice', aud: 'spa' }, replacement, header)
    const verify = (idToken = token) =>
      validateStoredIdToken(idToken, {
        issuer,
        clientId: 'spa',
        algorithms: ['RS256'],
        resolveKey: context.provider.resolveKey,
      })
    await context.provider.resolveKey({ alg: 'RS256', kid: 'a' })
    rotated = true
    return {
      ...context,
      verify,
      jwksRequests: () => context.requests.filter((path) => path === '/jwks').length,
    }
  }

  for (const [name, header] of [
    ['same kid', {}],
    ['no kid', { kid: undefined }],
  ] as const) {
    test(`${name}: a failed signature looks in a refetched JWKS, at most once per 30 s`, async () => {
      const { verify, advance, jwksRequests } = await rotation(header)
      advance(29)
      await rejectsWith(verify(), 'id_token_invalid', 'signature')
      assert.equal(jwksRequests(), 1, 'no refetch within 30 s of the last one')
      advance(1)
      assert.equal((await verify()).sub, 'alice')
      assert.equal(jwksRequests(), 2)
      assert.equal((await verify()).sub, 'alice')
      assert.equal(jwksRequests(), 2, 'the refetched set is cached')
    })
  }

  test('a token whose signature fails against the refetched set too is still refused', async () => {
    const { advance, jwksRequests, verify } = await rotation({})
    const forged = await sign(
      { iss: issuer, sub: 'mallory', aud: 'spa' },
      await makeKey('RS256', 'a'),
    )
    advance(30)
    // A key the provider never published signed it: neither the cached nor the refetched set verifies it.
    await rejectsWith(verify(forged), 'id_token_invalid', 'signature')
    assert.equal(jwksRequests(), 2)
  })

  test('a malformed JWS makes no refetch: a fresh key set would not mend it', async () => {
    const { advance, jwksRequests, verify } = await rotation({})
    const [header, payload] = (await sign({ iss: issuer }, keyA)).split('.')
    advance(30)
    await rejectsWith(verify(`${header}.${payload}.not*base64url`), 'id_token_invalid', 'malformed')
    assert.equal(jwksRequests(), 1)
  })
})

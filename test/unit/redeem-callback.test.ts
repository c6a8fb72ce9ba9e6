// The callback rules that redeemCallback applies before and after the token request, over a
// flow context of plain objects: a stored transaction, the provider's metadata, a token endpoint.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import type { FlowContext } from '../../src/context.js'
import type { Dpop } from '../../src/dpop-binding.js'
import { redeemCallback, transactionKey } from '../../src/redirect-login.js'
import { makeKey, rejectsWith, resolverOf, sign, type TestKey } from './helpers.js'

const issuer = 'https://id.example.com'
const redirectUri = 'https://app.example.com/cb'
const now = 1_800_000_000
let key: TestKey
before(async () => (key = await makeKey('RS256')))

/** A login of `state` waiting for its callback, and a token endpoint that answers `idToken`. */
function login({
  transaction = {},
  metadata = {},
  dpop,
  idToken = () =>
    sign({ iss: issuer, aud: 'spa', sub: 'alice', iat: now, exp: now + 60, nonce: 'n' }, key),
}: {
  transaction?: Record<string, unknown>
  metadata?: Record<string, unknown>
  dpop?: Dpop
  idToken?: () => Promise<string>
} = {}) {
  const stored = new Map<string, unknown>([
    [
      transactionKey('s'),
      { nonce: 'n', codeVerifier: 'v'.repeat(43), createdAt: now, ...transaction },
    ],
  ])
  const tokenRequests: string[] = []
  const swept: string[] = []
  const ctx = {
    config: {
      issuer,
      clientId: 'spa',
      redirectUri,
      clockTolerance: 0,
      ...(dpop && { dpop }),
      fetch: async (url: string) => {
        tokenRequests.push(url)
        const body = { access_token: 'at', token_type: 'Bearer', id_token: await idToken() }
        return new Response(JSON.stringify(body), {
          headers: { 'content-type': 'application/json' },
        })
      },
    },
    provider: {
      preload: () => {},
      prefetchKeys: () => {},
      resolveKey: resolverOf([key.jwk]),
      metadata: async () => ({
        issuer,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        ...metadata,
      }),
    },
    transactions: {
      del: async (name: string) => {
        const value = stored.get(name)
        stored.delete(name)
        return value
      },
      sweep: async (prefix: string) => void swept.push(prefix),
    },
    now: () => now,
  } as unknown as FlowContext
  return { ctx, tokenRequests, swept }
}

test('a callback that passes every rule brings the session and its claims', async () => {
  const { ctx, tokenRequests, swept } = login()
  const { session, claims } = await redeemCallback(ctx, `${redirectUri}?code=c&state=s`)
  assert.equal(claims.sub, 'alice')
  assert.equal(session.accessToken, 'at')
  assert.deepEqual(tokenRequests, [`${issuer}/token`])
  assert.deepEqual(swept, ['tx:'], 'abandoned login transactions are swept at the callback')
})

test('a provider that says it sends iss (RFC 9207): a response without it is issuer_mismatch', async () => {
  const { ctx, tokenRequests } = login({
    metadata: { authorization_response_iss_parameter_supported: true },
  })
  await rejectsWith(redeemCallback(ctx, `${redirectUri}?code=c&state=s`), 'issuer_mismatch')
  assert.deepEqual(tokenRequests, [], 'the code was not sent')
})

test('with DPoP on, a pending login without a key is refused before the token request', async () => {
  const dpop = { generateKey() {}, thumbprint() {}, proof() {}, send() {} } as unknown as Dpop
  const { ctx, tokenRequests } = login({ dpop })
  await rejectsWith(redeemCallback(ctx, `${redirectUri}?code=c&state=s`), 'invalid_callback')
  assert.deepEqual(tokenRequests, [])
})

test("a silent renewal's answer is redeemed with the session's key, which its transaction does not hold", async () => {
  const boundTo: CryptoKeyPair[] = []
  const dpop = {
    send: (fetchFn: typeof fetch, request: Request, keyPair: CryptoKeyPair) => (
      boundTo.push(keyPair),
      fetchFn(request)
    ),
  } as unknown as Dpop
  const { ctx } = login({ dpop })
  const sessionKey = { publicKey: {}, privateKey: {} } as CryptoKeyPair
  // The stub endpoint answers a Bearer token, which DPoP refuses: the request went out first.
  await rejectsWith(redeemCallback(ctx, `${redirectUri}?code=c&state=s`, sessionKey), 'token_error')
  assert.deepEqual(boundTo, [sessionKey], 'the code was sent bound to the given key')
})

test("the login's maxAge is checked against auth_time", async () => {
  const idToken = (authTime: number) => () =>
    sign(
      {
        iss: issuer,
        aud: 'spa',
        sub: 'alice',
        iat: now,
        exp: now + 60,
        nonce: 'n',
        auth_time: authTime,
      },
      key,
    )
  const fresh = login({ transaction: { maxAge: 60 }, idToken: idToken(now - 60) })
  assert.equal(
    (await redeemCallback(fresh.ctx, `${redirectUri}?code=c&state=s`)).claims.sub,
    'alice',
  )
  const stale = login({ transaction: { maxAge: 60 }, idToken: idToken(now - 61) })
  await rejectsWith(
    redeemCallback(stale.ctx, `${redirectUri}?code=c&state=s`),
    'id_token_invalid',
    'auth_time',
  )
})

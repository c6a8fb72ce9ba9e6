// A silent renewal (no refresh token) whose code exchange is refused (400 invalid_grant, or 400
// with an empty body) is no refused refresh: a review found it ended the session everywhere. One
// that signs in another user ends the session, as does one the provider answers with an
// interaction error (it has no session for the user). The hidden iframe is a stand-in whose page hands
// the answer back over a real BroadcastChannel.
import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import type { FlowContext } from '../../src/context.js'
import { transactionKey } from '../../src/redirect-login.js'
import { renewSession } from '../../src/renew.js'
import { createSession } from '../../src/session.js'
import { createMemoryVault } from '../../src/vault.js'
import { sign } from './helpers.js'
import { claims, idToken, issuer, key, now, origin, signIdToken } from './session-faults-support.js'

before(signIdToken)

const redirectUri = 'https://app.example.com/cb'

function silentTab(
  answer: (state: string) => string,
  tokenResponse: (nonce: () => Promise<string>) => Response | Promise<Response>,
) {
  const { tab, records } = origin()
  const a = tab()
  const transactions = { ...createMemoryVault(), sweep: async () => {}, open: () => {} }
  const ctx = Object.assign(a.ctx as FlowContext, {
    config: {
      ...a.ctx.config,
      redirectUri,
      scope: 'openid',
      silentTimeout: 2,
      // With the nonce of the login under way, for an ID token that answers it.
      fetch: async () => tokenResponse(() => nonce),
    },
    transactions,
    name: 'oidc-browser-test',
    closed: new AbortController().signal,
    provider: {
      ...a.ctx.provider,
      metadata: async () => ({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ['ES256'],
      }),
      prefetchKeys: () => {},
    },
  })
  // A hidden iframe whose page hands the provider's answer back, as handoff.ts does.
  let nonce = Promise.resolve('')
  const g = globalThis as Record<string, unknown>
  g.location = { origin: '' }
  g.document = {
    createElement: () => ({ hidden: false, src: '', remove() {} }),
    body: {
      append(frame: { src: string }) {
        const state = new URL(frame.src).searchParams.get('state')!
        // Read as the iframe loads: redeeming the answer takes the transaction.
        nonce = transactions.get(transactionKey(state)).then((tx: any) => tx.nonce)
        const channel = new BroadcastChannel(ctx.name + state)
        channel.onmessage = () => channel.close()
        channel.postMessage({ url: answer(state), severed: false })
      },
    },
  }
  return { a, records }
}

const held = () =>
  createSession({ idToken, accessToken: 'a1', issuedAt: now - 270, expiresAt: now + 30 })

for (const [name, answer, token] of [
  [
    'its code exchange answered 400 invalid_grant',
    (state: string) => `${redirectUri}?code=c&state=${state}`,
    () => Response.json({ error: 'invalid_grant' }, { status: 400 }),
  ],
  [
    'its code exchange answered 400 with an empty body',
    (state: string) => `${redirectUri}?code=c&state=${state}`,
    () => new Response('', { status: 400 }),
  ],
] as const)
  test(`a silent renewal with ${name} keeps the session: token_error, not a refused refresh`, async () => {
    const { a, records } = silentTab(answer, token)
    const session = held()
    await a.core.commit({ generation: 'any', record: 'any' }, { session, claims, store: 'put' })
    const error = await renewSession(a.ctx).then(
      () => undefined,
      (caught) => caught,
    )
    assert.equal(error?.code, 'token_error')
    assert.equal(a.core.state().status, 'signedIn', `state: ${JSON.stringify(a.core.state())}`)
    assert.equal((await records.get('session')) !== undefined, true, 'still stored')
  })

test('a silent renewal that signs in another user ends the session: id_token_invalid, sub', async () => {
  const { a, records } = silentTab(
    (state) => `${redirectUri}?code=c&state=${state}`,
    async (nonce) =>
      Response.json({
        access_token: 'a2',
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await sign(
          { iss: issuer, aud: 'spa', sub: 'bob', nonce: await nonce(), iat: now, exp: now + 600 },
          key,
        ),
      }),
  )
  await a.core.commit(
    { generation: 'any', record: 'any' },
    { session: held(), claims, store: 'put' },
  )
  const error = await renewSession(a.ctx).catch((caught) => caught)
  assert.deepEqual([error?.code, error?.reason], ['id_token_invalid', 'sub'])
  assert.equal(a.core.state().status, 'signedOut')
  assert.equal(await records.get('session'), undefined, "bob's session never replaces alice's")
})

// The provider wanting the user means it has no session for them: every tab is signed out.
for (const providerError of [
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
])
  test(`a silent renewal answered ${providerError} ends the session: login_required, its error kept`, async () => {
    const { a, records } = silentTab(
      (state) => `${redirectUri}?error=${providerError}&state=${state}`,
      () => assert.fail('no code, no token request'),
    )
    await a.core.commit(
      { generation: 'any', record: 'any' },
      { session: held(), claims, store: 'put' },
    )
    const error = await renewSession(a.ctx).catch((caught) => caught)
    assert.deepEqual([error?.code, error?.error], ['login_required', providerError])
    assert.equal(a.core.state().status, 'signedOut')
    assert.equal(await records.get('session'), undefined)
  })

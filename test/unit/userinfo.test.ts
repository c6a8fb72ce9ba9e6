// getUserInfo's answer rules (Core 5.3): a 2xx JSON object whose sub is the session's; anything
// else is userinfo_error. The endpoint is a plain function; the DPoP path runs in Chromium.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FlowContext } from '../../src/context.js'
import { dpop } from '../../src/dpop.js'
import { isOidcError } from '../../src/errors.js'
import { fetchUserInfo } from '../../src/userinfo.js'
import { rejectsWith } from './helpers.js'

const ctx = (
  status: number,
  body: unknown,
  { signedIn = true, endpoint = 'https://id.example.com/userinfo' } = {},
) =>
  ({
    config: {
      fetch: async () =>
        new Response(JSON.stringify(body), {
          status,
          headers: { 'content-type': 'application/json' },
        }),
    },
    provider: { metadata: async () => ({ userinfo_endpoint: endpoint }) },
    core: {
      held: () => ({ session: { accessToken: 'at' } }),
      state: () =>
        signedIn ? { status: 'signedIn', claims: { sub: 'alice' } } : { status: 'signedOut' },
    },
  }) as unknown as FlowContext
const token = async () => 'at'

test("the session user's claims, frozen", async () => {
  const info = await fetchUserInfo(ctx(200, { sub: 'alice', email: 'a@example.com' }), token)
  assert.equal(info.email, 'a@example.com')
  assert.ok(Object.isFrozen(info))
})

test('an error status, a body that is no JSON object, or another sub is userinfo_error', async () => {
  await rejectsWith(fetchUserInfo(ctx(500, { sub: 'alice' }), token), 'userinfo_error')
  await rejectsWith(fetchUserInfo(ctx(401, { sub: 'alice' }), token), 'userinfo_error')
  for (const body of [null, ['alice'], 'alice', { sub: 'bob' }, {}])
    await rejectsWith(fetchUserInfo(ctx(200, body), token), 'userinfo_error')
})

test('no endpoint is userinfo_error; no session is login_required', async () => {
  await rejectsWith(
    fetchUserInfo(ctx(200, { sub: 'alice' }, { endpoint: '' }), token),
    'userinfo_error',
  )
  await rejectsWith(
    fetchUserInfo(ctx(200, { sub: 'alice' }, { signedIn: false }), token),
    'login_required',
  )
})

test("a DPoP nonce the endpoint asks for but hides is userinfo_error, with the sender's error", async () => {
  const keyPair = await dpop().generateKey()
  const hidden = ctx(401, {})
  const { config, core } = hidden as unknown as { config: Record<string, unknown>; core: any }
  config.dpop = dpop()
  // An error body naming use_dpop_nonce is the token endpoint's way; a 401 with an exposed
  // WWW-Authenticate and no DPoP-Nonce is the resource's.
  config.fetch = async () =>
    new Response(null, {
      status: 401,
      headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"' },
    })
  core.held = () => ({ session: { accessToken: 'at', dpopKey: keyPair } })
  const error = await fetchUserInfo(hidden, token).then(
    () => assert.fail('resolved'),
    (error: unknown) => error,
  )
  assert.ok(isOidcError(error) && error.code === 'userinfo_error')
  assert.equal(error.error, 'use_dpop_nonce')
  assert.match(error.message, /Access-Control-Expose-Headers/)
})

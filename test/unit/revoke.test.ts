// The best-effort revocation of a refresh token no tab holds any more (RFC 7009).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FlowContext } from '../../src/context.js'
import { revokeSession } from '../../src/revoke.js'
import { createSession } from '../../src/session.js'

const sent: Request[] = []
const ctx = (revocation_endpoint?: string, answer = async () => new Response()) =>
  ({
    config: {
      clientId: 'spa',
      fetch: async (url: string, init: RequestInit) => (
        sent.push(new Request(url, init)),
        answer()
      ),
    },
    provider: { metadata: async () => ({ revocation_endpoint }) },
  }) as unknown as FlowContext
const session = (refreshToken?: string) =>
  createSession({
    idToken: 'a.b.c',
    accessToken: 'at',
    issuedAt: 0,
    expiresAt: 60,
    ...(refreshToken && { refreshToken }),
  })

test('the refresh token goes to the revocation endpoint as a form, without cookies or redirects', async () => {
  sent.length = 0
  await revokeSession(ctx('https://id.example.com/revoke'), session('rt'))
  const [request] = sent
  assert.equal(request.method, 'POST')
  assert.equal(request.url, 'https://id.example.com/revoke')
  assert.equal(request.credentials, 'omit')
  // A 307 would send the refresh token on to wherever it points.
  assert.equal(request.redirect, 'manual')
  assert.deepEqual(Object.fromEntries(new URLSearchParams(await request.text())), {
    token: 'rt',
    token_type_hint: 'refresh_token',
    client_id: 'spa',
  })
})

test('nothing is sent without a refresh token or an endpoint, and a failure is no error', async () => {
  sent.length = 0
  await revokeSession(ctx('https://id.example.com/revoke'), session())
  await revokeSession(ctx(undefined), session('rt'))
  await revokeSession(ctx('https://id.example.com/revoke'), undefined)
  assert.equal(sent.length, 0)
  const failing = ctx('https://id.example.com/revoke', () => Promise.reject(new TypeError('down')))
  await revokeSession(failing, session('rt'))
  assert.equal(sent.length, 1)
})

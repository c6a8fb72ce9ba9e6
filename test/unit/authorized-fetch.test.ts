// client.fetch and authorizationHeaders without DPoP: Bearer, to this page's origin by default,
// and nothing at all to another origin. The `fetch` option is the seam; the DPoP path runs in
// real Chromium (test/browser/dpop-login.test.ts).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { authorizationHeaders, authorizedFetch } from '../../src/authorized-fetch.js'
import type { FlowContext } from '../../src/context.js'
import { rejectsWith } from './helpers.js'

const sent: Request[] = []
const ctx = (apiOrigins?: string[]) =>
  ({
    config: {
      fetch: async (request: Request) => (sent.push(request), new Response('ok')),
      ...(apiOrigins && { apiOrigins }),
    },
    core: { held: () => ({ session: { accessToken: 'at' } }) },
  }) as unknown as FlowContext
const token = async () => 'at'

describe('client.fetch without DPoP', () => {
  // The page the client runs in.
  before(() => Object.assign(globalThis, { location: new URL('https://app.example.com/page') }))
  after(() => delete (globalThis as { location?: unknown }).location)

  // (Node's Request needs absolute URLs; a page's resolves relative ones against itself.)
  test("sends the Bearer token to this page's origin by default, following no redirect", async () => {
    sent.length = 0
    await authorizedFetch(ctx(), token, 'https://app.example.com/api/me')
    const [request] = sent
    assert.equal(request.url, 'https://app.example.com/api/me')
    assert.equal(request.headers.get('authorization'), 'Bearer at')
    assert.equal(request.redirect, 'manual')
  })

  test("an app's own redirect option cannot make it follow one", async () => {
    sent.length = 0
    await authorizedFetch(ctx(), token, 'https://app.example.com/api/me', { redirect: 'follow' })
    assert.equal(sent[0].redirect, 'manual')
  })

  test("a token that is no longer the held session's is not sent (a login or logout came between)", async () => {
    sent.length = 0
    await rejectsWith(
      authorizedFetch(ctx(), async () => 'old', 'https://app.example.com/api/me'),
      'login_required',
    )
    await rejectsWith(
      authorizationHeaders(ctx(), async () => 'old', 'GET', 'https://app.example.com/api'),
      'login_required',
    )
    assert.equal(sent.length, 0)
  })

  test('another origin rejects invalid_config and sends nothing; apiOrigins replaces the default', async () => {
    sent.length = 0
    await rejectsWith(authorizedFetch(ctx(), token, 'https://api.example.com/me'), 'invalid_config')
    const apiOnly = ctx(['https://api.example.com'])
    await rejectsWith(
      authorizedFetch(apiOnly, token, 'https://app.example.com/api/me'),
      'invalid_config',
    )
    assert.equal(sent.length, 0)
    await authorizedFetch(apiOnly, token, 'https://api.example.com/me')
    assert.equal(sent.length, 1)
  })

  test('authorizationHeaders: the Bearer header, for allowed origins only', async () => {
    assert.deepEqual(
      await authorizationHeaders(ctx(), token, 'GET', 'https://app.example.com/api'),
      {
        Authorization: 'Bearer at',
      },
    )
    await rejectsWith(
      authorizationHeaders(ctx(), token, 'GET', 'https://evil.example/'),
      'invalid_config',
    )
  })

  test('a URL or method no browser could send is invalid_config, and nothing is sent', async () => {
    sent.length = 0
    await rejectsWith(authorizationHeaders(ctx(), token, 'GET', 'http://['), 'invalid_config')
    await rejectsWith(
      authorizationHeaders(ctx(), token, 'CONNECT', 'https://app.example.com/api'),
      'invalid_config',
    )
    await rejectsWith(authorizedFetch(ctx(), token, 'http://['), 'invalid_config')
    await rejectsWith(
      authorizedFetch(ctx(), token, 'https://app.example.com/api', { method: 'bad method' }),
      'invalid_config',
    )
    assert.equal(sent.length, 0)
  })

  test('with DPoP on, a held session without a key is never sent as Bearer: login_required', async () => {
    sent.length = 0
    const unbound = ctx()
    Object.assign(unbound.config, { dpop: { send: () => assert.fail('no proof without a key') } })
    await rejectsWith(
      authorizedFetch(unbound, token, 'https://app.example.com/api'),
      'login_required',
    )
    await rejectsWith(
      authorizationHeaders(unbound, token, 'GET', 'https://app.example.com/api'),
      'login_required',
    )
    assert.equal(sent.length, 0)
  })
})

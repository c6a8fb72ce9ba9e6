// The client's face, in Node (no IndexedDB: it runs in memory): what must hold before any await.
import assert from 'node:assert/strict'
import { afterEach, test } from 'node:test'
import { OidcClient } from '../../src/index.js'
import { isOidcError } from '../../src/errors.js'

const options = {
  issuer: 'https://id.example.com',
  clientId: 'spa',
  redirectUri: 'https://app.example.com/cb',
}
const code = (error: unknown) => (isOidcError(error) ? error.code : String(error))

afterEach(() => delete (globalThis as { window?: unknown }).window)

test("loginWithPopup() opens the popup before anything is awaited, inside the user's gesture", async () => {
  const opened: string[] = []
  // A browser that blocks it: window.open answers null.
  Object.assign(globalThis, { window: { open: (url: string) => (opened.push(url), null) } })
  const client = new OidcClient(options)
  const login = client.loginWithPopup()
  assert.deepEqual(opened, ['about:blank'], 'opened in the same task as the call')
  assert.equal(await login.then(() => 'signed in', code), 'popup_blocked')
  client.close()
})

test('a closed client does nothing: its calls reject invalid_config, no popup opens', async () => {
  const opened: string[] = []
  Object.assign(globalThis, { window: { open: (url: string) => (opened.push(url), null) } })
  const client = new OidcClient(options)
  client.close()
  for (const call of [
    () => client.init(),
    () => client.loginWithPopup(),
    () => client.signInSilently(),
    () => client.getAccessToken(),
    () => client.createLoginUrl(),
    () => client.logout({ localOnly: true }),
  ])
    assert.equal(await call().then(() => 'resolved', code), 'invalid_config')
  assert.deepEqual(opened, [])
})

// Sign-in, restore, replay, tampering, logout, persist: 'memory', DPoP and popup sign-in, in every
// selected engine.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launchEngine, selectedEngines, type Engine } from '../support/engines/index.js'
import {
  jwtPart,
  libraryRequests,
  logIn,
  logOutAtProvider,
  putRecord,
  ready,
  sessionKey,
  startApp,
  status,
  storedRecords,
  type App,
} from './app.js'
import { describeStoredDpopKey } from '../support/stored-records.js'

let app: App
before(async () => (app = await startApp()))
after(() => app?.close())

for (const name of selectedEngines()) {
  describe(name, { timeout: 120_000 }, () => {
    let engine: Engine
    before(async () => (engine = await launchEngine(name)))
    after(() => engine?.close())

    test('login at the provider, claims in the state, replay refused, reload with zero requests, logout', async () => {
      const { op } = app
      const context = await engine.newContext()
      const tab = await context.open(app.url())
      assert.equal((await ready(tab)).state?.status, 'signedOut')
      op.requests.length = 0
      app.callbacks.length = 0
      const result = await logIn(tab, op.issuer, { returnTo: '/inbox' })
      assert.equal(result.ok, true, JSON.stringify(result))
      assert.equal(result.returnTo, '/inbox')
      const state = await tab.evaluate(() => window.client.getState())
      assert.equal(state.status, 'signedIn')
      assert.equal(state.claims.sub, 'alice')
      assert.equal(state.claims.iss, op.issuer)
      const token = await tab.evaluate(() => window.client.getAccessToken())
      assert.ok(token.length > 10)
      assert.ok(!JSON.stringify(state).includes(token), 'no access token in the state')
      assert.deepEqual(libraryRequests(op.requests).sort(), [
        'GET /.well-known/openid-configuration',
        'GET /jwks',
        'POST /token',
      ])
      assert.equal(
        await tab.evaluate(() => location.href),
        app.url(),
        'callback parameters removed',
      )
      assert.deepEqual(await tab.evaluate(() => window.events.map((event) => event.type)), [
        'signedin',
        'change',
      ])
      // The network guard: a request that would leave the machine goes to it, and no further
      // (a name that cannot resolve, should the guard ever miss one).
      await tab.evaluate(() =>
        fetch('https://outside.invalid/', { mode: 'no-cors' }).then(
          () => {},
          () => {},
        ),
      )
      assert.ok(engine.blocked.has('outside.invalid'), `the guard saw it: ${[...engine.blocked]}`)

      // The callback URL works once: replayed in another tab it is refused, and that tab keeps
      // the session it restored.
      assert.equal(app.callbacks.length, 1)
      const replay = await context.open(app.callbacks[0])
      const replayed = await ready(replay)
      assert.equal(replayed.code, 'invalid_callback')
      assert.equal(replayed.isOidcError, true)
      assert.equal(await status(replay), 'signedIn')
      await replay.close()

      op.requests.length = 0
      await tab.reload()
      const restored = await ready(tab)
      assert.equal(restored.state?.status, 'signedIn')
      assert.equal(restored.state?.claims?.sub, 'alice')
      assert.deepEqual([...op.requests], [], 'reload made no request to the provider')

      const refreshToken = sessionRecord(await storedRecords(tab)).refreshToken
      const loggedOut = await logOutAtProvider(tab, op.issuer)
      assert.equal(loggedOut.state?.status, 'signedOut')
      assert.ok(op.requests.includes('POST /token/revocation'), op.requests.join())
      assert.ok(op.requests.includes('GET /session/end'), op.requests.join())
      assert.equal(sessionKey(await storedRecords(tab)), undefined, 'no session stored')
      const refresh = await fetch(`${op.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: 'spa',
        }),
      })
      assert.equal(((await refresh.json()) as { error?: string }).error, 'invalid_grant')
      await context.close()
    })

    test('a tampered stored session is rejected and deleted on reload', async () => {
      const context = await engine.newContext()
      const tab = await context.open(app.url())
      await ready(tab)
      assert.equal((await logIn(tab, app.op.issuer)).ok, true)
      const records = await storedRecords(tab)
      const key = sessionKey(records)!
      // Another user's name in the ID token's payload, under the original signature.
      const [header, payload, signature] = sessionRecord(records).idToken.split('.')
      const claims = { ...jwtPart(`${header}.${payload}`, 1), sub: 'mallory' }
      const forged = Buffer.from(JSON.stringify(claims)).toString('base64url')
      await putRecord(tab, key, { ...records[key], idToken: [header, forged, signature].join('.') })
      await tab.reload()
      assert.equal((await ready(tab)).state?.status, 'signedOut')
      assert.deepEqual(
        await tab.evaluate(() => {
          const { error } = window.client.getState()
          return [error.code, error.reason]
        }),
        ['id_token_invalid', 'signature'],
      )
      assert.equal(sessionKey(await storedRecords(tab)), undefined, 'the tampered record is gone')
      assert.ok(
        !(await tab.evaluate(() => window.events.some((event) => event.type === 'signedin'))),
      )
      await context.close()
    })

    test("persist: 'memory' puts nothing but the login transaction in IndexedDB", async () => {
      const context = await engine.newContext()
      const tab = await context.open(app.url('memory'))
      await ready(tab)
      assert.equal((await logIn(tab, app.op.issuer)).ok, true)
      assert.equal(await status(tab), 'signedIn')
      assert.deepEqual(Object.keys(await storedRecords(tab)), [], 'nothing stored after the login')
      const loginUrl: string = await tab.evaluate(() => window.client.createLoginUrl())
      const state = new URL(loginUrl).searchParams.get('state')
      assert.deepEqual(
        Object.keys(await storedRecords(tab)).map((key) => key.endsWith(`tx:${state}`)),
        [true],
        'a login transaction, and nothing else',
      )
      await tab.reload()
      assert.equal((await ready(tab)).state?.status, 'signedOut')
      await context.close()
    })

    test('DPoP: the tokens are bound to a key the page cannot export, which a reload keeps; a silent sign-in works', async () => {
      const { op } = app
      const context = await engine.newContext()
      const tab = await context.open(app.url('dpop'))
      await ready(tab)
      assert.equal((await logIn(tab, op.issuer)).ok, true)
      assert.deepEqual(await tab.evaluate(describeStoredDpopKey), {
        extractable: false,
        curve: 'P-256',
        exported: 'InvalidAccessError',
      })
      const userinfo = () =>
        tab.evaluate(() => window.client.getUserInfo().then((info: any) => info.sub))
      // The provider's userinfo checks the proof against the token's binding.
      assert.equal(await userinfo(), 'alice')
      const token = await tab.evaluate(() => window.client.getAccessToken())
      const copied = await fetch(`${op.issuer}/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(copied.status, 401, 'the token copied out of the page is refused as Bearer')
      assert.match(copied.headers.get('www-authenticate') ?? '', /invalid_token/)
      await tab.reload()
      assert.equal((await ready(tab)).state?.status, 'signedIn')
      assert.equal(await userinfo(), 'alice', 'the key came back from IndexedDB with the session')
      // prompt=none in a hidden iframe; the app and the provider are same-site here.
      const silent = await tab.evaluate(() =>
        window.client.signInSilently().then(
          (result: any) => result.claims.sub,
          (error: any) => `${error.code}: ${error.message}`,
        ),
      )
      assert.equal(silent, 'alice')
      assert.equal(await userinfo(), 'alice', "the silent sign-in's new key is bound too")
      await context.close()
    })

    test('a click opens the provider in a popup, which hands the answer back and closes', async () => {
      const context = await engine.newContext()
      const tab = await context.open(app.url())
      await ready(tab)
      // The provider's session and grant, from a first login, answer the popup without a form
      // (a logout here would revoke the grant, and the provider would ask for consent again).
      assert.equal((await logIn(tab, app.op.issuer)).ok, true)
      const before = await tab.evaluate(() => window.client.getAccessToken())
      app.op.requests.length = 0
      // A user's click: the popup opens only with one.
      await tab.evaluate(() => {
        // The window the library opens, to see it closed at the end.
        const open = window.open
        window.open = (...args) => ((window as any).popup = open.apply(window, args))
        const button = document.createElement('button')
        button.id = 'popup'
        button.textContent = 'Sign in'
        button.onclick = () =>
          window.client.loginWithPopup().then(
            (result: any) => ((window as any).outcome = result.claims.sub),
            (error: any) => ((window as any).outcome = `${error.code}: ${error.message}`),
          )
        document.body.append(button)
      })
      await tab.click('#popup')
      const outcome = await tab.waitFor(() => (window as any).outcome, undefined, {
        message: 'the popup sign-in to end',
      })
      assert.equal(outcome, 'alice')
      assert.equal(await status(tab), 'signedIn')
      assert.ok(app.op.requests.includes('POST /token'), 'the code was redeemed')
      assert.notEqual(await tab.evaluate(() => window.client.getAccessToken()), before)
      await tab.waitFor(() => (window as any).popup.closed, undefined, {
        message: 'the popup to close',
      })
      await context.close()
    })
  })
}

/** The stored session record, read generically: the fields the tests need. */
function sessionRecord(records: Record<string, any>): { idToken: string; refreshToken: string } {
  const record = records[sessionKey(records) ?? '']
  assert.equal(typeof record?.idToken, 'string', 'a stored session with an ID token')
  return record
}

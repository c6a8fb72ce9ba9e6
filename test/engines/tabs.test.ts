// Tabs of one profile in step, in every selected engine: a login or a logout in one tab reaches
// the others (BroadcastChannel), and eight tabs asking for a token at the expiring point share one
// refresh (Web Locks). Real time: the access token lives 4 s, so it is expiring after 2 s. The
// tabs are told to ask over a channel, not by their own timers: Firefox throttles the timers of
// hidden tabs, so there the `expiring` event of a background tab may come late, or not at all
// when another tab has refreshed first (the new token is not expiring yet).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launchEngine, selectedEngines, type Engine } from '../support/engines/index.js'
import { logIn, ready, startApp, status, waitForStatus, type App } from './app.js'

let shortLived: App
let app: App
const issued: { grantType: string; accessToken: string; at: number }[] = []
before(async () => {
  shortLived = await startApp({ accessTokenTtl: 4 })
  shortLived.op.rewriteTokenResponse = async (body, grantType) => {
    issued.push({ grantType, accessToken: String(body.access_token), at: Date.now() })
    return body
  }
  app = await startApp()
})
after(() => Promise.all([shortLived?.close(), app?.close()]))

for (const name of selectedEngines()) {
  describe(name, { timeout: 120_000 }, () => {
    let engine: Engine
    before(async () => (engine = await launchEngine(name)))
    after(() => engine?.close())

    test('a login in one tab signs in the others; asking at once at the expiring point, they share one refresh', async () => {
      const { op, url } = shortLived
      const context = await engine.newContext()
      // Eight tabs wait, as in the Chromium race test; the ninth logs in.
      const waiting = []
      for (let i = 0; i < 8; i++) waiting.push(await context.open(url()))
      for (const tab of waiting) {
        assert.equal((await ready(tab)).state?.status, 'signedOut')
        // Each waiting tab asks for a token when the test says so, over a channel of its own.
        await tab.evaluate(() => {
          new BroadcastChannel('test-ask').onmessage = () =>
            window.client.getAccessToken().then(
              (token: string) => ((window as any).answer = { token, at: Date.now() }),
              (error: any) => ((window as any).answer = { code: error.code }),
            )
        })
      }
      const refusedBefore = op.responses.filter((response) => response === 'POST /token 400').length
      issued.length = 0
      const other = await context.open(url())
      await ready(other)
      assert.equal((await logIn(other, op.issuer, { login: 'carol' })).ok, true)
      for (const tab of waiting) {
        await waitForStatus(tab, 'signedIn')
        assert.equal(await tab.evaluate(() => window.client.getState().claims.sub), 'carol')
      }
      // Half of the 4 s lifetime before expiry, the token is expiring: then all ask at once.
      const expiringAt = (await waiting[0].evaluate(() => window.client.getState().expiresAt)) - 2
      await waiting[0].waitFor((at) => Date.now() / 1000 >= at, expiringAt, {
        message: 'the expiring point',
      })
      await other.evaluate(() => new BroadcastChannel('test-ask').postMessage('ask'))
      const answers = []
      for (const tab of waiting)
        answers.push(
          await tab.waitFor(() => (window as any).answer, undefined, { message: 'a token' }),
        )
      const answered = Math.max(...answers.map((answer) => answer.at))
      const refreshes = issued.filter(({ grantType }) => grantType === 'refresh_token')
      assert.equal(
        refreshes.filter(({ at }) => at <= answered).length,
        1,
        `one refresh grant until every tab had its token: ${JSON.stringify({ answers, issued })}`,
      )
      assert.deepEqual(
        answers.map((answer) => answer.token),
        answers.map(() => refreshes[0].accessToken),
        'every tab got the token of that refresh',
      )
      assert.equal(
        op.responses.filter((response) => response === 'POST /token 400').length,
        refusedBefore,
        'no refresh token was presented twice',
      )
      for (const tab of [...waiting, other]) assert.equal(await status(tab), 'signedIn')
      await context.close()
    })

    test('a logout in one tab reaches the other; a new tab finds no session', async () => {
      const context = await engine.newContext()
      const first = await context.open(app.url())
      await ready(first)
      assert.equal((await logIn(first, app.op.issuer)).ok, true)
      const second = await context.open(app.url())
      assert.equal((await ready(second)).state?.status, 'signedIn')
      await first.evaluate(() => window.client.logout({ localOnly: true }))
      await waitForStatus(second, 'signedOut')
      assert.ok(
        await second.evaluate(() => window.events.some((event) => event.type === 'signedout')),
      )
      const fresh = await context.open(app.url())
      assert.equal((await ready(fresh)).state?.status, 'signedOut')
      await context.close()
    })
  })
}

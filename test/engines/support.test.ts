// What each engine offers the library (measured, for the README's browser support table), and
// ID tokens signed with each algorithm family, verified with each engine's WebCrypto. Where an
// engine lacks an algorithm, the login must fail with a typed OidcError, never hang.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launchEngine, selectedEngines, type Engine } from '../support/engines/index.js'
import { jwtPart, logIn, ready, sessionKey, startApp, storedRecords, type App } from './app.js'

// The WebCrypto algorithm that verifies each JWS algorithm.
const algorithms = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
} as const
type Alg = keyof typeof algorithms

const apps = {} as Record<Alg, App>
before(async () => {
  for (const alg of Object.keys(algorithms) as Alg[]) apps[alg] = await startApp({ alg })
})
after(() => Promise.all(Object.values(apps).map((app) => app.close())))

for (const name of selectedEngines()) {
  describe(name, { timeout: 120_000 }, () => {
    let engine: Engine
    before(async () => (engine = await launchEngine(name)))
    after(() => engine?.close())

    test('IndexedDB, Web Locks between tabs, BroadcastChannel, AbortSignal.timeout, Trusted Types', async (t) => {
      const context = await engine.newContext()
      const [first, second] = [
        await context.open(apps.RS256.url()),
        await context.open(apps.RS256.url()),
      ]
      const features = await first.evaluate(async () => {
        const indexedDb = await new Promise<boolean | string>((resolve) => {
          const open = indexedDB.open('probe')
          open.onupgradeneeded = () => open.result.createObjectStore('s')
          open.onerror = () => resolve(String(open.error))
          open.onsuccess = () => {
            const transaction = open.result.transaction('s', 'readwrite')
            transaction.objectStore('s').put({ at: Date.now() }, 'k')
            transaction.oncomplete = () => resolve(true)
          }
        })
        const abortSignalTimeout =
          typeof AbortSignal.timeout === 'function' &&
          (await new Promise((resolve) =>
            AbortSignal.timeout(1).addEventListener('abort', (event) =>
              resolve((event.target as AbortSignal).reason?.name),
            ),
          ))
        // Held until the page goes: the other tab must not get it.
        const webLocks = typeof navigator.locks?.request === 'function'
        if (webLocks) void navigator.locks.request('probe', () => new Promise(() => {}))
        const { publicKey } = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
          'sign',
          'verify',
        ])) as CryptoKeyPair
        const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), use: 'sig' }
        return {
          indexedDb,
          webLocks,
          broadcastChannel: typeof BroadcastChannel === 'function',
          abortSignalTimeout,
          trustedTypes: typeof (window as any).trustedTypes?.createPolicy === 'function',
          ed25519JwkWithUseSig: await crypto.subtle
            .importKey('jwk', jwk, { name: 'Ed25519' }, false, ['verify'])
            .then(
              () => 'imported',
              (error) => `refused: ${error.name}`,
            ),
        }
      })
      const lockedOut = await second.evaluate(() =>
        navigator.locks?.request('probe', { ifAvailable: true }, (lock) => lock === null),
      )
      const visibility = [
        await first.evaluate(() => document.visibilityState),
        await second.evaluate(() => document.visibilityState),
      ]
      t.diagnostic(`${engine.version}: ${JSON.stringify({ ...features, lockedOut, visibility })}`)
      assert.equal(features.indexedDb, true)
      assert.equal(features.webLocks, true)
      assert.equal(lockedOut, true, 'a Web Lock held in one tab is not granted in another')
      assert.equal(features.broadcastChannel, true)
      assert.equal(features.abortSignalTimeout, 'TimeoutError')
      await context.close()
    })

    for (const alg of Object.keys(algorithms) as Alg[]) {
      test(`${alg}: an ID token signed with it is verified end to end, or refused with a typed error`, async (t) => {
        const { op, url } = apps[alg]
        const context = await engine.newContext()
        const tab = await context.open(url())
        await ready(tab)
        // Whether this engine's WebCrypto can verify with the provider's public key at all. (Without
        // `use`, as jose imports it: WebKit refuses an Ed25519 JWK with `use: "sig"`.)
        const { d, p, q, dp, dq, qi, use, ...publicKey } = op.signingKey
        const supported = await tab.evaluate(
          ({ publicKey, algorithm }) =>
            crypto.subtle.importKey('jwk', publicKey, algorithm, false, ['verify']).then(
              () => true,
              (error) => String(error),
            ),
          { publicKey, algorithm: algorithms[alg] },
        )
        const result = await logIn(tab, op.issuer)
        if (supported === true) {
          assert.equal(result.ok, true, JSON.stringify(result))
          const records = await storedRecords(tab)
          assert.equal(jwtPart(records[sessionKey(records)!].idToken, 0).alg, alg)
        } else {
          assert.equal(result.ok, false)
          assert.equal(result.isOidcError, true, JSON.stringify(result))
          assert.ok(['id_token_invalid', 'jwks_error'].includes(result.code!), result.code)
        }
        t.diagnostic(
          `${engine.version} ${alg}: ${supported === true ? 'verified' : `unsupported (${supported}), login failed with ${result.code}/${result.reason}`}`,
        )
        await context.close()
      })
    }
  })
}

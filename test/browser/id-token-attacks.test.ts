// A provider that forges the ID token or its key set, one thing at a time, through real Chromium:
// every outcome is a typed OidcError with the SPEC's code and reason, the state is signedOut, no
// session reaches IndexedDB, and no token shows in what the app can see or the console.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CompactSign } from 'jose'
import type { Faults, RogueProvider } from '../support/rogue-provider.js'
import {
  assertRejected,
  attackHelpers,
  claims,
  hasSession,
  partsOf,
  unsigned,
} from './attack-support.js'
import { startRogueHarness, stopRogueHarness, type RogueHarness } from './rogue-app.js'

let harness: RogueHarness
let rogue: RogueProvider

before(async () => ({ rogue } = harness = await startRogueHarness()))
after(() => stopRogueHarness(harness))

const { attack } = attackHelpers(() => harness)

const header = (extra: Record<string, unknown>): Faults => ({
  idToken: ({ header, payload }) => ({ header: { ...header, ...extra }, payload }),
})

describe('attacks through the browser', { timeout: 120_000 }, () => {
  test('the well-behaved rogue provider signs the user in (so each attack below breaks one thing)', async () => {
    const { result, keys } = await attack({})
    assert.equal(result.ok, true)
    assert.equal(result.state?.status, 'signedIn')
    assert.equal(hasSession(keys), true)
  })

  const idTokenAttacks: [string, Faults, string][] = [
    [
      'alg none, no signature',
      { idTokenString: (token) => unsigned({ alg: 'none' }, partsOf(token).payload) },
      'alg',
    ],
    [
      "HS256 with the provider's public key as the HMAC secret",
      {
        idTokenString: async (token) =>
          new CompactSign(new TextEncoder().encode(JSON.stringify(partsOf(token).payload)))
            .setProtectedHeader({ alg: 'HS256', kid: rogue.key.kid })
            .sign(new TextEncoder().encode(JSON.stringify(rogue.key.jwk))),
      },
      'alg',
    ],
    [
      "signed by another key under the provider's kid",
      {
        idTokenString: (token, { sign }) =>
          sign(partsOf(token).header, partsOf(token).payload, rogue.attackerKey),
      },
      'signature',
    ],
    [
      'signed by a key the token carries itself (jwk, jku, x5u headers)',
      {
        idTokenString: (token, { sign }) =>
          sign(
            {
              alg: 'RS256',
              kid: rogue.attackerKey.kid,
              jwk: rogue.attackerKey.jwk,
              jku: `${rogue.issuer}/attacker-jwks`,
              x5u: `${rogue.issuer}/attacker-cert`,
            },
            partsOf(token).payload,
            rogue.attackerKey,
          ),
      },
      'kid',
    ],

    ['a crit header', header({ crit: ['exp'], exp: 1 }), 'crit'],
    ['another issuer', claims((p) => (p.iss = 'https://evil.example')), 'iss'],
    ['another audience', claims((p) => (p.aud = 'other-client')), 'aud'],
    ['several audiences without azp', claims((p) => (p.aud = ['spa', 'other'])), 'azp'],
    ['azp of another client', claims((p) => (p.azp = 'other-client')), 'azp'],
    ['a nonce of another login', claims((p) => (p.nonce = 'replayed')), 'nonce'],
    ['no nonce', claims((p) => delete p.nonce), 'nonce'],
    ['expired', claims((p) => (p.exp = Math.floor(Date.now() / 1000) - 3600)), 'exp'],
    ['exp as a string', claims((p) => (p.exp = String(p.exp))), 'exp'],
    ['issued in the future', claims((p) => (p.iat = Math.floor(Date.now() / 1000) + 3600)), 'iat'],
    [
      'not valid before a future time',
      claims((p) => (p.nbf = Math.floor(Date.now() / 1000) + 3600)),
      'nbf',
    ],
    ['no sub', claims((p) => delete p.sub), 'sub'],
    ['sub as a number', claims((p) => (p.sub = 42)), 'sub'],
    [
      'at_hash of another access token',
      claims((p) => (p.at_hash = 'AAAAAAAAAAAAAAAAAAAAAA')),
      'at_hash',
    ],
    [
      'a signed payload that is not JSON',
      {
        idTokenString: () =>
          new CompactSign(new TextEncoder().encode('not json'))
            .setProtectedHeader({ alg: 'RS256', kid: rogue.key.kid })
            .sign(rogue.key.privateKey),
      },
      'malformed',
    ],
    [
      'two segments',
      { idTokenString: (token) => token.split('.').slice(0, 2).join('.') },
      'malformed',
    ],
  ]
  for (const [name, faults, reason] of idTokenAttacks) {
    // A kid the keys fetched a moment ago lack cannot be told from a key published since: it
    // is "cannot verify now" (jwks_error) until the refetch interval allows a look.
    const code = reason === 'kid' ? 'jwks_error' : 'id_token_invalid'
    test(`ID token: ${name} is ${code} (${reason})`, async () => {
      await assertRejected(await attack(faults), code, code === 'jwks_error' ? undefined : reason)
    })
  }

  const unusableKeys: [string, Faults][] = [
    [
      "the provider's key marked use: enc",
      { jwks: ({ keys }) => ({ keys: keys.map((k) => ({ ...k, use: 'enc' })) }) },
    ],
    [
      "the provider's key without verify in key_ops",
      { jwks: ({ keys }) => ({ keys: keys.map((k) => ({ ...k, key_ops: ['encrypt'] })) }) },
    ],
  ]
  for (const [name, faults] of unusableKeys) {
    test(`key set: ${name} is never used: no key fits (jwks_error)`, async () => {
      await assertRejected(await attack(faults), 'jwks_error')
    })
  }

  const keySetAttacks: [string, Faults][] = [
    [
      'no kid in the token and two keys that fit',
      {
        ...header({ kid: undefined }),
        jwks: ({ keys }) => ({ keys: [...keys, { ...rogue.attackerKey.jwk, kid: 'other' }] }),
      },
    ],
  ]
  for (const [name, faults] of keySetAttacks) {
    test(`key set: ${name} is id_token_invalid (kid)`, async () => {
      await assertRejected(await attack(faults), 'id_token_invalid', 'kid')
    })
  }

  test('key set: a JWKS without keys, or not JSON, is jwks_error', async () => {
    await assertRejected(await attack({ jwks: () => ({ keys: 'none' }) }), 'jwks_error')
    await assertRejected(await attack({ jwks: () => '<html>' }), 'jwks_error')
  })
})

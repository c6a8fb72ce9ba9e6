import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { EmbeddedJWK, calculateJwkThumbprint, exportJWK, jwtVerify } from 'jose'
import { isDpopKeyPair } from '../../src/dpop-binding.js'
import { dpop } from '../../src/dpop.js'
import { isRefusal, fetchToken } from '../../src/token-endpoint.js'
import { calculateCodeChallenge } from '../../src/random.js'
import { isOidcError, type OidcError } from '../../src/errors.js'
import { rejectsWith } from './helpers.js'

/** The OidcError `promise` rejects with, checked to have `code`. */
async function failure(promise: Promise<unknown>, code: string): Promise<OidcError> {
  const error = await promise.then(
    () => assert.fail('resolved'),
    (error: unknown) => error,
  )
  assert.ok(isOidcError(error))
  assert.equal(error.code, code)
  return error
}

const signer = dpop()
const tokenEndpoint = 'https://id.example.com/token'
const grant = { grant_type: 'refresh_token', refresh_token: 'rt', client_id: 'spa' }
const tokens = { access_token: 'at', token_type: 'DPoP', expires_in: 60 }

const verifyProof = async (proof: string) =>
  jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })

/** A token endpoint that records each request's DPoP header and answers from `answers`, in turn. */
function endpoint(answers: (() => Response)[]) {
  const proofs: (string | null)[] = []
  const bodies: string[] = []
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    proofs.push(request.headers.get('DPoP'))
    bodies.push(await request.text())
    return answers[proofs.length - 1]()
  }
  return { fetchFn: fetchFn as typeof fetch, proofs, bodies }
}
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    })

describe('dpop(): keys and proofs (RFC 9449 section 4)', () => {
  test('the key pair is ES256 and its private key cannot be exported', async () => {
    const keyPair = await signer.generateKey()
    assert.ok(isDpopKeyPair(keyPair))
    assert.equal(keyPair.privateKey.extractable, false)
    await assert.rejects(crypto.subtle.exportKey('jwk', keyPair.privateKey))
    assert.deepEqual(keyPair.privateKey.algorithm, { name: 'ECDSA', namedCurve: 'P-256' })
  })

  test('an extractable key pair is not one', async () => {
    const extractable = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    )
    assert.equal(isDpopKeyPair(extractable), false)
    assert.equal(isDpopKeyPair({ privateKey: {}, publicKey: {} }), false)
    // Each key in its place: a private key is no public one.
    const { privateKey } = await signer.generateKey()
    assert.equal(isDpopKeyPair({ publicKey: privateKey, privateKey }), false)
  })

  test('a proof: typ, public jwk, jti, htm, htu without query and fragment, iat, nonce, ath', async () => {
    const keyPair = await signer.generateKey()
    const before = Math.floor(Date.now() / 1000)
    const proof = await signer.proof(keyPair, {
      htm: 'POST',
      htu: 'https://api.example.com/a/b?x=1#frag',
      nonce: 'n-1',
      accessToken: 'the-token',
    })
    const { payload, protectedHeader } = await verifyProof(proof)
    assert.equal(protectedHeader.typ, 'dpop+jwt')
    assert.equal(protectedHeader.alg, 'ES256')
    assert.deepEqual(Object.keys(protectedHeader.jwk!).sort(), ['crv', 'kty', 'x', 'y'])
    assert.equal(
      await calculateJwkThumbprint(protectedHeader.jwk!),
      await signer.thumbprint(keyPair.publicKey),
    )
    assert.equal(
      await calculateJwkThumbprint(protectedHeader.jwk!),
      await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)),
    )
    assert.equal(payload.htm, 'POST')
    assert.equal(payload.htu, 'https://api.example.com/a/b')
    assert.equal(payload.nonce, 'n-1')
    assert.equal(payload.ath, await calculateCodeChallenge('the-token'))
    assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 32)
    assert.ok(payload.iat! >= before && payload.iat! <= before + 2)
  })

  test('no nonce and no ath when none is given; each proof has its own jti', async () => {
    const keyPair = await signer.generateKey()
    const claims = { htm: 'GET', htu: 'https://api.example.com/' }
    const [a, b] = await Promise.all([signer.proof(keyPair, claims), signer.proof(keyPair, claims)])
    const [first, second] = [(await verifyProof(a)).payload, (await verifyProof(b)).payload]
    assert.equal('nonce' in first, false)
    assert.equal('ath' in first, false)
    assert.notEqual(first.jti, second.jti)
  })
})

describe('DPoP at the token endpoint', () => {
  test('the refresh request carries a proof for POST at the token endpoint', async () => {
    const keyPair = await signer.generateKey()
    const { fetchFn, proofs } = endpoint([json(200, tokens)])
    await fetchToken(fetchFn, tokenEndpoint, grant, {
      requireIdToken: false,
      dpop: { dpop: signer, keyPair },
    })
    const { payload } = await verifyProof(proofs[0]!)
    assert.equal(payload.htm, 'POST')
    assert.equal(payload.htu, tokenEndpoint)
    assert.equal('ath' in payload, false)
  })

  test('use_dpop_nonce: one retry with the nonce, the same body again; it is no refusal', async () => {
    const keyPair = await signer.generateKey()
    const nonce = json(400, { error: 'use_dpop_nonce' }, { 'DPoP-Nonce': 'nonce-1' })
    const { fetchFn, proofs, bodies } = endpoint([nonce, json(200, tokens)])
    const binding = { dpop: signer, keyPair }
    await fetchToken(fetchFn, tokenEndpoint, grant, { requireIdToken: false, dpop: binding })
    assert.equal(proofs.length, 2)
    assert.equal((await verifyProof(proofs[1]!)).payload.nonce, 'nonce-1')
    assert.equal(bodies[0], bodies[1])
    assert.equal(bodies[1], new URLSearchParams(grant).toString())
    // Asked twice: the second answer stands, and it does not end the session.
    const twice = endpoint([nonce, nonce])
    const error = await failure(
      fetchToken(twice.fetchFn, tokenEndpoint, grant, { requireIdToken: false, dpop: binding }),
      'token_error',
    )
    assert.equal(twice.proofs.length, 2)
    assert.equal(isRefusal(error), false)
  })

  test('a nonce demanded whose header cannot be read fails clearly, and is no refusal', async () => {
    const keyPair = await signer.generateKey()
    const { fetchFn, proofs } = endpoint([json(400, { error: 'use_dpop_nonce' })])
    const error = await failure(
      fetchToken(fetchFn, 'https://other.example.com/token', grant, {
        requireIdToken: false,
        dpop: { dpop: signer, keyPair },
      }),
      'token_error',
    )
    assert.equal(proofs.length, 1)
    assert.match(error.message, /Access-Control-Expose-Headers/)
    assert.equal(error.error, 'use_dpop_nonce')
    assert.equal(isRefusal(error), false)
  })

  test('a resource server asks in WWW-Authenticate: one retry, with ath', async () => {
    const keyPair = await signer.generateKey()
    const challenge = () =>
      new Response(null, {
        status: 401,
        headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'rs-1' },
      })
    const { fetchFn, proofs, bodies } = endpoint([challenge, () => new Response('ok')])
    const request = new Request('https://rs.example.com/items?page=2', {
      method: 'PUT',
      body: 'a body',
    })
    const response = await signer.send(fetchFn, request, keyPair, 'at')
    assert.equal(await response.text(), 'ok')
    assert.deepEqual(bodies, ['a body', 'a body'])
    const { payload } = await verifyProof(proofs[1]!)
    assert.equal(payload.nonce, 'rs-1')
    assert.equal(payload.htm, 'PUT')
    assert.equal(payload.htu, 'https://rs.example.com/items')
    assert.equal(payload.ath, await calculateCodeChallenge('at'))
  })

  test('a resource that hides WWW-Authenticate but exposes a new DPoP-Nonce with its 401: one retry with it', async () => {
    const keyPair = await signer.generateKey()
    const hidden = (nonce: string) => () =>
      new Response(null, { status: 401, headers: { 'DPoP-Nonce': nonce } })
    const { fetchFn, proofs } = endpoint([hidden('n-1'), () => new Response('ok')])
    const response = await signer.send(
      fetchFn,
      new Request('https://hidden.example.com/a'),
      keyPair,
    )
    assert.equal(await response.text(), 'ok')
    assert.equal((await verifyProof(proofs[1]!)).payload.nonce, 'n-1')
    // The same nonce again is no demand: that 401 is the answer (an expired token, say).
    const again = endpoint([hidden('n-1')])
    const refused = await signer.send(
      again.fetchFn,
      new Request('https://hidden.example.com/b'),
      keyPair,
    )
    assert.equal(refused.status, 401)
    assert.equal(again.proofs.length, 1)
    // Neither header readable: nothing says a nonce is wanted, the 401 is returned.
    const bare = endpoint([() => new Response(null, { status: 401 })])
    const plain = await signer.send(bare.fetchFn, new Request('https://bare.example.com/'), keyPair)
    assert.equal(plain.status, 401)
    assert.equal(bare.proofs.length, 1)
  })

  test('nonces are kept per origin, and updated from every answer, a success included', async () => {
    const keyPair = await signer.generateKey()
    const nonces = dpop()
    const answer = (nonce: string) => () => new Response('ok', { headers: { 'DPoP-Nonce': nonce } })
    const { fetchFn, proofs } = endpoint([answer('a-1'), answer('b-1'), answer('a-2'), answer('x')])
    const send = (url: string) => nonces.send(fetchFn, new Request(url), keyPair)
    await send('https://a.example.com/1')
    await send('https://b.example.com/1')
    await send('https://a.example.com/2')
    await send('https://a.example.com/3')
    const sent = await Promise.all(
      proofs.map(async (proof) => (await verifyProof(proof!)).payload.nonce),
    )
    assert.deepEqual(sent, [undefined, undefined, 'a-1', 'a-2'])
  })

  test('with DPoP on, a Bearer token_type is token_error', async () => {
    const keyPair = await signer.generateKey()
    const { fetchFn } = endpoint([json(200, { ...tokens, token_type: 'Bearer' })])
    await rejectsWith(
      fetchToken(fetchFn, tokenEndpoint, grant, {
        requireIdToken: false,
        dpop: { dpop: signer, keyPair },
      }),
      'token_error',
    )
  })
})

// The demo app: the script-tag build, no bundler. Renders the auth state and its events.
const { OidcClient, isOidcError, dpop } = window.OidcBrowser
const { issuer, clientId } = window.demoConfig
const home = `${location.origin}/`
// The DPoP switch: tokens bound to a key this browser cannot export (a new login applies it).
const dpopOn = localStorage.getItem('demo-dpop') === 'on'
const api = dpopOn ? '/api/dpop/me' : '/api/me'

const client = new OidcClient({
  issuer,
  clientId,
  redirectUri: home,
  postLogoutRedirectUri: home,
  scope: 'openid profile email',
  ...(dpopOn && { dpop: dpop() }),
})

const $ = (id) => document.getElementById(id)
$('dpop').checked = dpopOn
$('api-path').textContent = api
$('replay').hidden = !dpopOn

function render(state) {
  $('status').textContent = state.status
  $('login').hidden = $('login-popup').hidden = state.status !== 'signedOut'
  $('logout').hidden = state.status !== 'signedIn'
  const error = state.status === 'signedOut' ? state.error : undefined
  $('error').hidden = !error
  $('error').textContent = error
    ? `${error.code}${error.reason ? ` (${error.reason})` : ''}: ${error.message}`
    : ''
  $('claims-card').hidden = state.status !== 'signedIn'
  $('api-card').hidden = state.status !== 'signedIn'
  if (state.status === 'signedIn') {
    $('claims').replaceChildren(
      ...Object.entries(state.claims).map(([name, value]) => {
        const row = document.createElement('tr')
        const key = document.createElement('th')
        const cell = document.createElement('td')
        key.textContent = name
        cell.textContent = typeof value === 'object' ? JSON.stringify(value) : String(value)
        row.append(key, cell)
        return row
      }),
    )
    showLifetime()
  }
}

function showLifetime() {
  const state = client.getState()
  if (state.status !== 'signedIn') return
  const left = Math.round(state.expiresAt - Date.now() / 1000)
  $('expiry').textContent =
    left > 0 ? `Access token expires in ${left} s.` : 'Access token has expired.'
}
setInterval(showLifetime, 1000)

async function callApi() {
  $('api-result').textContent = '…'
  try {
    // client.fetch: the token (and a DPoP proof) go to this origin only.
    const response = await client.fetch(api)
    const body = await response.json()
    $('api-result').textContent = response.ok
      ? `The API says you are "${body.sub}".`
      : `HTTP ${response.status}: ${body.error}`
  } catch (error) {
    $('api-result').textContent = isOidcError(error)
      ? `${error.code}: ${error.message}`
      : String(error)
  }
}

async function showUserInfo() {
  $('api-result').textContent = '…'
  try {
    const info = await client.getUserInfo()
    $('api-result').textContent = `Userinfo: ${JSON.stringify(info)}`
  } catch (error) {
    $('api-result').textContent = isOidcError(error)
      ? `${error.code}: ${error.message}`
      : String(error)
  }
}

/** What a script that copied the tokens out of IndexedDB gets: the token, but not the key. */
async function replayCopiedToken() {
  const key = JSON.stringify([issuer, clientId]) + 'session'
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('oidc-browser')
    open.onsuccess = () => resolve(open.result)
    open.onerror = () => reject(open.error)
  })
  const record = await new Promise((resolve) => {
    const get = db.transaction('kv').objectStore('kv').get(key)
    get.onsuccess = () => resolve(get.result)
  })
  db.close()
  if (!record) return void ($('replay-result').textContent = 'No stored session to copy.')
  const exported = await crypto.subtle.exportKey('jwk', record.dpopKey.privateKey).then(
    () => 'exported (!)',
    (error) => `refused (${error.name})`,
  )
  const asBearer = await fetch(api, { headers: { authorization: `Bearer ${record.accessToken}` } })
  // A proof by a key of the thief's own, with the API's nonce.
  const thief = dpop()
  const url = new URL(api, location.href).href
  const nonce = asBearer.headers.get('DPoP-Nonce') ?? undefined
  const proof = await thief.proof(await thief.generateKey(), {
    htm: 'GET',
    htu: url,
    accessToken: record.accessToken,
    ...(nonce && { nonce }),
  })
  const otherKey = await fetch(api, {
    headers: { authorization: `DPoP ${record.accessToken}`, dpop: proof },
  })
  $('replay-result').textContent =
    `Exporting the stored private key: ${exported}. The copied token as Bearer: HTTP ${asBearer.status}; ` +
    `with a proof by another key: HTTP ${otherKey.status}.`
}

function logEvent(event) {
  const item = document.createElement('li')
  const detail = event.detail
  item.textContent = `${new Date().toLocaleTimeString()}  ${event.type}${isOidcError(detail) ? `: ${detail.code}` : ''}`
  $('events').prepend(item)
}

for (const type of ['signedin', 'signedout', 'refreshed', 'expiring', 'expired', 'error']) {
  client.addEventListener(type, logEvent)
}
client.subscribe(render)
render(client.getState())

$('login').addEventListener('click', () => client.login())
$('login-popup').addEventListener('click', () =>
  client.loginWithPopup().catch((error) => {
    // A failed callback is on the state already; a blocked, closed or timed-out popup only here.
    $('error').hidden = false
    $('error').textContent = `${error.code}: ${error.message}`
  }),
)
$('userinfo').addEventListener('click', showUserInfo)
$('logout').addEventListener('click', () => client.logout())
$('call-api').addEventListener('click', callApi)
$('replay').addEventListener('click', () =>
  replayCopiedToken().catch((e) => ($('replay-result').textContent = String(e))),
)
$('dpop').addEventListener('change', async () => {
  localStorage.setItem('demo-dpop', $('dpop').checked ? 'on' : 'off')
  // Tokens are bound (or not) at login: switching starts over.
  await client.logout({ localOnly: true })
  location.reload()
})

if (client.isSilentOrPopupCallback()) {
  // In the login popup or a silent sign-in's iframe: this hands the answer back, nothing to show.
  document.body.hidden = true
  client.handleRedirectCallback()
} else if (client.isCallback()) {
  client.handleRedirectCallback().catch(() => {})
} else {
  // Back from the provider's logout, which returns the logout's `state`: nothing to keep.
  if (location.search) history.replaceState(null, '', home)
  client.init()
}

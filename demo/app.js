// The demo app: the script-tag build, no bundler. Renders the auth state and its events.
const { OidcClient, isOidcError } = window.OidcBrowser
const { issuer, clientId } = window.demoConfig
const home = `${location.origin}/`

const client = new OidcClient({
  issuer,
  clientId,
  redirectUri: home,
  postLogoutRedirectUri: home,
  scope: 'openid profile email',
})

const $ = (id) => document.getElementById(id)

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
    const token = await client.getAccessToken()
    const response = await fetch('/api/me', { headers: { authorization: `Bearer ${token}` } })
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

if (client.isSilentOrPopupCallback()) {
  // In the login popup or a silent sign-in's iframe: this hands the answer back, nothing to show.
  document.body.hidden = true
  client.handleRedirectCallback()
} else if (client.isCallback()) {
  client.handleRedirectCallback().catch(() => {})
} else {
  client.init()
}

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { OidcClient } from 'oidc-browser'
import { useAuth } from 'oidc-browser/react'

const home = `${location.origin}/react/`
const client = new OidcClient({
  ...window.demoConfig,
  redirectUri: home,
  postLogoutRedirectUri: home,
  scope: 'openid profile email',
})

if (client.isCallback()) client.handleRedirectCallback().catch(() => {})
else {
  // Back from the provider's logout, which returns the logout's `state`: nothing to keep.
  if (location.search) history.replaceState(null, '', home)
  client.init()
}

/** Renders its children only while a user is signed in. */
function SignedIn({ children }) {
  return useAuth(client).status === 'signedIn' ? children : null
}

function Profile() {
  const { claims } = useAuth(client)
  return (
    <section className="card">
      <h2>Hello, {claims.name ?? claims.sub}</h2>
      <table id="claims">
        <tbody>
          {Object.entries(claims).map(([name, value]) => (
            <tr key={name}>
              <th>{name}</th>
              <td>{String(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button id="logout" className="secondary" onClick={() => client.logout()}>
          Log out
        </button>
      </div>
    </section>
  )
}

function App() {
  const auth = useAuth(client)
  return (
    <>
      <header>
        <h1>oidc-browser with React</h1>
      </header>
      <section className="card">
        <div className="status">
          <span>Status</span>
          <strong id="status">{auth.status}</strong>
        </div>
        {auth.status === 'signedOut' && auth.error && <p className="error">{auth.error.code}</p>}
        {auth.status === 'signedOut' && (
          <div className="actions">
            <button id="login" onClick={() => client.login()}>
              Log in
            </button>
          </div>
        )}
      </section>
      <SignedIn>
        <Profile />
      </SignedIn>
    </>
  )
}

// StrictMode runs effects and renders twice; the client copes with that.
createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
)

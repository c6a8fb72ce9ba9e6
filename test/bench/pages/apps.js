// The same small app on each library, for the benchmark: restore or complete a sign-in on load,
// log in, forget the session locally, and get an access token after the clock passed its expiry.
// `window.app.ready` is { signedIn, library, page }: milliseconds to the state being known, from
// the first statement of the app's bundle (window.t1) and from the navigation's start.
window.startApp = (lib) => {
  const { issuer, options = {} } = window.__bench
  const redirectUri = location.origin + location.pathname
  const finish = (signedIn) => {
    const page = performance.now()
    return { signedIn, library: page - window.t1, page }
  }

  if (lib === 'oidc-browser') {
    const client = new OidcBrowser.OidcClient({ issuer, clientId: 'spa', redirectUri })
    window.app = {
      ready: (client.isCallback() ? client.handleRedirectCallback() : client.init()).then(() =>
        finish(client.getState().status === 'signedIn'),
      ),
      login: () => client.login(),
      forget: () => client.logout({ localOnly: true }),
      freshToken: () => client.getAccessToken(),
    }
  } else if (lib === 'oidc-client-ts') {
    const manager = new oidc.UserManager({
      authority: issuer,
      client_id: 'spa',
      redirect_uri: redirectUri,
      // Renewal is asked for explicitly (freshToken), as the other two apps do.
      automaticSilentRenew: false,
    })
    const signedIn = (user) => !!user && !user.expired
    window.app = {
      ready: (async () => {
        if (new URLSearchParams(location.search).has('code')) {
          await manager.signinRedirectCallback()
          history.replaceState(null, '', redirectUri)
        }
        return finish(signedIn(await manager.getUser()))
      })(),
      login: () => manager.signinRedirect(),
      forget: () => manager.removeUser(),
      freshToken: async () => (await manager.signinSilent()).access_token,
    }
  } else {
    const ready = (async () => {
      const client = await auth0.createAuth0Client({
        domain: issuer.replace(/\/$/, ''),
        clientId: 'spa',
        authorizationParams: { redirect_uri: redirectUri },
        ...options,
      })
      window.app = {
        ...window.app,
        login: () => client.loginWithRedirect(),
        forget: () => client.logout({ openUrl: false }),
        freshToken: () => client.getTokenSilently(),
      }
      if (new URLSearchParams(location.search).has('code')) {
        await client.handleRedirectCallback()
        history.replaceState(null, '', redirectUri)
      }
      return finish(await client.isAuthenticated())
    })()
    window.app = { ready }
  }
}

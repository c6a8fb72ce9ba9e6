// Test app: one OidcClient configured by window.__testConfig (set by the test), with its
// events recorded. On load it completes a callback or restores a session.
window.startHarness = (lib) => {
  const config = window.__testConfig ?? {}
  const redirectUri = location.origin + location.pathname
  const makeClient = (options) =>
    new lib.OidcClient({
      issuer: config.issuer,
      clientId: 'spa',
      redirectUri,
      postLogoutRedirectUri: redirectUri,
      ...options,
    })
  const client = makeClient(config.client)
  const events = []
  for (const type of [
    'signedin',
    'signedout',
    'refreshed',
    'expiring',
    'expired',
    'error',
    'change',
  ]) {
    client.addEventListener(type, (event) => {
      const detail = event.detail
      events.push({ type, status: detail?.status ?? null, code: detail?.code ?? null })
    })
  }
  window.lib = lib
  window.client = client
  window.makeClient = makeClient
  window.events = events
  window.ready = (async () => {
    try {
      if (client.isCallback()) {
        // Twice at once, as React StrictMode would: the second call shares the first's outcome.
        const [{ returnTo }, again] = await Promise.all([
          client.handleRedirectCallback(),
          client.handleRedirectCallback(),
        ])
        if (again.claims !== client.getState().claims)
          throw new Error('the second call did not share the outcome')
        return { ok: true, returnTo: returnTo ?? null, state: client.getState() }
      }
      return { ok: true, state: await client.init() }
    } catch (error) {
      return {
        ok: false,
        code: error.code,
        reason: error.reason ?? null,
        isOidcError: lib.isOidcError(error),
      }
    }
  })()
}

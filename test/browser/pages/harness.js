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
      // Functions cannot travel from the test: `dpop: true` stands for the module.
      ...(options?.dpop === true && { dpop: lib.dpop() }),
    })
  const client = makeClient(config.client)
  const events = []
  // Everything the app can see of each event, errors with their whole cause chain, for leak audits.
  const audit = []
  const describe = (value) => {
    if (!(value instanceof Error)) return JSON.stringify(value)
    const { name, message, code, reason, error, errorDescription, cause } = value
    return JSON.stringify({
      name,
      message,
      code,
      reason,
      error,
      errorDescription,
      cause: cause && describe(cause),
    })
  }
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
      audit.push(describe(detail), detail?.error ? describe(detail.error) : '')
    })
  }
  window.audit = audit
  window.describeError = describe
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
      audit.push(describe(error))
      return {
        ok: false,
        code: error.code,
        reason: error.reason ?? null,
        isOidcError: lib.isOidcError(error),
      }
    }
  })()
}

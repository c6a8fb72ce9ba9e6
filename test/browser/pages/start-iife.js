// The inline start of iife.html as a file, for pages whose CSP forbids inline scripts.
startHarness(OidcBrowser)

import { createApp } from 'vue'
import { OidcClient } from 'oidc-browser'
import App from './App.vue'

const home = `${location.origin}/vue/`
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

createApp(App, { client }).mount('#app')

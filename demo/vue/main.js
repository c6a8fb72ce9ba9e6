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
else client.init()

createApp(App, { client }).mount('#app')

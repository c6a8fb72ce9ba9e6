import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'
import { demoAppConfig } from '../vite.shared.js'

export default defineConfig({ ...demoAppConfig('/vue/'), plugins: [vue()] })

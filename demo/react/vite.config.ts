import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import { demoAppConfig } from '../vite.shared.js'

export default defineConfig({ ...demoAppConfig('/react/'), plugins: [react()] })

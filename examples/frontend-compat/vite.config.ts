import { defineConfig } from 'vite'

// Vite 8 compiles TSX itself (Oxc); the React plugin only adds Fast Refresh, which a build does not need.
export default defineConfig({
  build: { target: 'es2022' },
})

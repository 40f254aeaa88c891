import { configureHewston } from '@hewston-bff/browser/compat'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'

// Only needed when the BFF or the backend is not the page's own origin (here: separate dev servers).
configureHewston({ bffUrl: import.meta.env.VITE_BFF_URL || undefined, backendUrl: import.meta.env.VITE_API_URL || undefined })

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root')
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
)

// The frontend's services/transport.ts after the migration: one transport that picks WS or SSE itself.
export { type PlayerTransport, playerTransport } from '@hewston-bff/browser/react'

// The frontend's services/ws.ts after the migration.
export { type PlaybackState, type PlaybackStatus, useRunPlayback } from '@hewston-bff/browser/react'

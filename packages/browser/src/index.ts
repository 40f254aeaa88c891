/**
 * @hewston-bff/browser — the Hewston client for the frontend: the same API through the BFF or straight to
 * the backend (the rollback path), switched per endpoint group by flags, with automatic fallback.
 *
 * Architecture: `client.ts` (the client; direct mode runs core's services here), `flags.ts` (five flag
 * sources, in order), `fallback.ts` (outage detection, cooldown, probe), `run-stream.ts` (a playback stream
 * that switches transport and resumes). It imports core and browser-safe libraries only (enforced by the
 * linter and by compiling without Node types).
 *
 * @example
 * ```ts
 * import { createHewstonClient } from '@hewston-bff/browser'
 * const client = createHewstonClient({ bffUrl: location.origin, backendUrl: 'http://127.0.0.1:8000' })
 * const runs = await client.listRuns({ limit: 20 })
 * ```
 */

export type { BarsResponse, DailyBarsResponse, DecimatedBarsResponse, RunDetail, RunList } from '@hewston-bff/core'
export {
  type CallOptions,
  type ChartDataParams,
  type ConfigErrorEvent,
  createHewstonClient,
  HewstonApiError,
  HewstonClient,
  type HewstonClientEvents,
  type HewstonClientOptions,
  type RunCompleteParams,
  type WithMode,
} from './client.js'
export { type FallbackEvent, FallbackState, isBffOutage } from './fallback.js'
export {
  DEFAULT_FLAGS,
  type FlagLayers,
  FlagStore,
  type Flags,
  flagsFromSearch,
  flagsFromStorage,
  GROUPS,
  type Group,
  STORAGE_KEY,
} from './flags.js'
export { type HewstonQuery, hewstonQueries } from './queries.js'
export { RunStream, type RunStreamEvents, type RunStreamOptions, type StreamFrame, type StreamStatus } from './run-stream.js'

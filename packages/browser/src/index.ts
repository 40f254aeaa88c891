/**
 * @hewston-bff/browser — the Hewston client for the frontend: the same API through the BFF or straight to
 * the backend (the rollback path), switched per endpoint group by flags, with automatic fallback.
 *
 * Architecture: `context.ts` (where calls go: flags, fallback, the CORS configuration error, direct mode
 * loaded on first need), the calls as functions over a context (`drop-ins.ts`, `aggregates.ts`,
 * `streams.ts`), `client.ts` (the facade with every call as a method), `direct.ts` (core's services, the
 * on-demand chunk), `flags.ts`, `fallback.ts`, `run-stream.ts`. Subpaths: `/compat` (the frontend's
 * `services/api.ts` and `services/bars.ts`, name for name) and `/react` (`useRunPlayback`). It imports core
 * and browser-safe libraries only (enforced by the linter and by compiling without Node types).
 *
 * @example
 * ```ts
 * import { createHewstonClient } from '@hewston-bff/browser'
 * const client = createHewstonClient({ bffUrl: location.origin, backendUrl: 'http://127.0.0.1:8000' })
 * const runs = await client.listRuns({ limit: 20 })
 * ```
 */

export type { BarsResponse, DailyBarsResponse, DecimatedBarsResponse, RunDetail, RunList } from '@hewston-bff/core'
export { type ChartDataParams, getChartData, getRunComplete, listRuns, type RunCompleteParams, type WithMode } from './aggregates.js'
export { createHewstonClient, createHewstonContext, HewstonClient } from './client.js'
export {
  type CallOptions,
  type ConfigErrorEvent,
  type HewstonClientEvents,
  type HewstonClientOptions,
  HewstonContext,
  type Mode,
} from './context.js'
export {
  createBacktest,
  fetchDaily,
  fetchHour,
  fetchMinute,
  fetchMinuteDecimated,
  getRunDetail,
  listBacktests,
} from './drop-ins.js'
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
export { HewstonApiError } from './http.js'
export { type HewstonQuery, hewstonQueries } from './queries.js'
export { RunStream, type RunStreamEvents, type RunStreamOptions, type StreamFrame, type StreamStatus } from './run-stream.js'
export { openRunStream } from './streams.js'

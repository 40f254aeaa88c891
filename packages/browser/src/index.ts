/**
 * @hewston-bff/browser — the Hewston client for the frontend: the same API through the BFF or straight to
 * the backend (the rollback path), switched per endpoint group by flags, with automatic fallback.
 *
 * @example
 * ```ts
 * import { createHewstonClient } from '@hewston-bff/browser'
 * const client = createHewstonClient({ bffUrl: location.origin, backendUrl: 'http://127.0.0.1:8000' })
 * const runs = await client.listRuns({ limit: 20 })
 * ```
 */
export {
  type ChartDataParams,
  HewstonApiError,
  HewstonClient,
  type HewstonClientOptions,
  type RunCompleteParams,
  type WithMode,
  createHewstonClient,
} from './client.js'
export { DEFAULT_FLAGS, type FlagLayers, FlagStore, type Flags, GROUPS, type Group, STORAGE_KEY, flagsFromSearch, flagsFromStorage } from './flags.js'
export { FallbackState, type FallbackEvent, isBffOutage } from './fallback.js'
export { RunStream, type RunStreamOptions, type StreamFrame, type StreamStatus } from './run-stream.js'
export type { BarsResponse, DailyBarsResponse, DecimatedBarsResponse, RunDetail, RunList } from '@hewston-bff/core'

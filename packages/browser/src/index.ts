/**
 * @hewston-bff/browser — the Hewston client for the frontend: the same API through the BFF or straight to
 * the backend (the rollback path), switched per endpoint group by flags.
 *
 * @example
 * ```ts
 * import { createHewstonClient } from '@hewston-bff/browser'
 * const client = createHewstonClient({ bffUrl: location.origin, backendUrl: 'http://127.0.0.1:8000' })
 * const bars = await client.fetchDaily('AAPL', '2024-01-01', '2024-12-31')
 * ```
 */
export { createHewstonClient, type HewstonClient, type HewstonClientOptions } from './client.js'
export { DEFAULT_FLAGS, FlagStore, type Flags } from './flags.js'
export type { BarsResponse, DailyBarsResponse, DecimatedBarsResponse, RunDetail, RunList } from '@hewston-bff/core'

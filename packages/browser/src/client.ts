import {
  type CreateBacktestRequest,
  type CreateBacktestResponse,
  type DailyBarsResponse,
  type BarsResponse,
  type DecimatedBarsResponse,
  type ListQuery,
  type RunDetail,
  type RunList,
  type Upstream,
  createUpstreamClient,
} from '@hewston-bff/core'
import { type Flags, FlagStore } from './flags.js'

export interface HewstonClientOptions {
  /** The BFF, e.g. `http://127.0.0.1:8001` (its API lives under `/api/v1`). */
  bffUrl: string
  /** The Hewston backend itself: the rollback path when a group's flag is off. */
  backendUrl: string
  flags?: Partial<Flags>
  fetch?: typeof fetch
}

export interface HewstonClient {
  /** Drop-in equivalents of the frontend's current calls: same arguments, same (zod-checked) shapes. */
  listBacktests(query?: ListQuery): Promise<RunList>
  getRunDetail(runId: string): Promise<RunDetail>
  createBacktest(request: CreateBacktestRequest, idempotencyKey?: string): Promise<CreateBacktestResponse>
  fetchDaily(symbol: string, from?: string, to?: string): Promise<DailyBarsResponse>
  fetchMinute(symbol: string, from: string, to: string): Promise<BarsResponse>
  fetchHour(symbol: string, from: string, to: string): Promise<BarsResponse>
  fetchMinuteDecimated(symbol: string, from: string, to: string, target?: number): Promise<DecimatedBarsResponse>
  /** Current flags; `flags.set({ proxy: false })` sends the next call straight to the backend. */
  readonly flags: FlagStore
  /** Where the `proxy` group currently goes. */
  mode(): 'bff' | 'direct'
}

/**
 * One client for both modes: through the BFF, or — flag off, the rollback path — straight to the backend,
 * with identical results.
 *
 * @example
 * ```ts
 * const client = createHewstonClient({ bffUrl: 'http://127.0.0.1:8001', backendUrl: 'http://127.0.0.1:8000' })
 * const { items } = await client.listBacktests({ limit: 10 })
 * client.flags.set({ proxy: false }) // instant rollback, no deploy
 * ```
 */
export function createHewstonClient(options: HewstonClientOptions): HewstonClient {
  const viaBff = createUpstreamClient({ baseUrl: `${options.bffUrl.replace(/\/+$/, '')}/api/v1`, fetch: options.fetch })
  const direct = createUpstreamClient({ baseUrl: options.backendUrl, fetch: options.fetch })
  const flags = new FlagStore(options.flags)
  const pick = (): Upstream => (flags.get().proxy ? viaBff : direct)
  return {
    flags,
    mode: () => (flags.get().proxy ? 'bff' : 'direct'),
    listBacktests: (query) => pick().listBacktests(query),
    getRunDetail: (runId) => pick().getRun(runId),
    createBacktest: (request, key) => pick().createBacktest(request, key),
    fetchDaily: (symbol, from, to) => pick().dailyBars({ symbol, from, to }),
    fetchMinute: (symbol, from, to) => pick().minuteBars({ symbol, from, to }),
    fetchHour: (symbol, from, to) => pick().hourBars({ symbol, from, to }),
    fetchMinuteDecimated: (symbol, from, to, target) => pick().minuteDecimatedBars({ symbol, from, to, target }),
  }
}

/**
 * `@hewston-bff/browser/compat` — the Hewston frontend's `services/api.ts` and `services/bars.ts`, name
 * for name: the same functions with the same parameters and defaults, the same types and zod schemas. An
 * app changes two import paths and nothing else; its calls then go through the BFF, or straight to the
 * backend when a flag or an outage says so.
 *
 * Where calls go is set once with {@link configureHewston}; without it both the BFF and the backend are
 * the page's own origin (`/api/v1/...` and `/backtests`, `/bars/...`) — what the frontend's relative URLs
 * (`base = ''`) assumed, behind Vite's dev proxy or the production reverse proxy. Nothing happens at
 * import: the shared context is created on the first call.
 *
 * @example
 * ```ts
 * // src/main.tsx, once (only when the BFF or the backend is not the page's origin):
 * configureHewston({ bffUrl: import.meta.env.VITE_BFF_URL, backendUrl: import.meta.env.VITE_API_URL })
 * // components, unchanged but for the import path:
 * import { listBacktests, type RunSummary } from '@hewston-bff/browser/compat'
 * ```
 */
import type {
  Bar,
  BarsResponse,
  DailyBar as CoreDailyBar,
  RunDetail as CoreRunDetail,
  CreateBacktestRequest,
  CreateBacktestResponse,
  DailyBarsResponse,
  DecimatedBarsResponse,
  ListQuery,
  PlaybackFrame,
  RunList,
  RunListItem,
} from '@hewston-bff/core'
import { type HewstonClientOptions, HewstonContext } from './context.js'
import * as calls from './drop-ins.js'

// —— services/api.ts ——
export type RunSummary = RunListItem
export type ListRunsResponse = RunList
export type ListRunsQuery = ListQuery
export type RunDetail = CoreRunDetail
export type StreamFrame = PlaybackFrame
export type CreateRunRequest = CreateBacktestRequest
export type CreateRunResponse = CreateBacktestResponse
export {
  CreateBacktestRequestSchema as CreateRunRequestSchema,
  CreateBacktestResponseSchema as CreateRunResponseSchema,
  FrameSchema as StreamFrameSchema,
  RunDetailSchema,
  RunListItemSchema as RunSummarySchema,
  RunListSchema as ListRunsResponseSchema,
} from '@hewston-bff/core'

// —— services/bars.ts ——
export type DailyBar = CoreDailyBar
export type DailyResponse = DailyBarsResponse
export type MinuteBar = Bar
export type MinuteResponse = BarsResponse
export type HourBar = Bar
export type HourResponse = BarsResponse
export {
  BarSchema as HourBarSchema,
  BarSchema as MinuteBarSchema,
  BarsResponseSchema as HourResponseSchema,
  BarsResponseSchema as MinuteResponseSchema,
  DailyBarSchema,
  DailyBarsResponseSchema as DailyResponseSchema,
} from '@hewston-bff/core'

let options: Partial<HewstonClientOptions> = {}
let shared: HewstonContext | undefined

/**
 * Where the drop-ins send their calls: `bffUrl` and `backendUrl` (each defaults to the page's origin)
 * and any other client option (flags, fallback cooldown, fetch). Call it before the first call; a later
 * call starts a fresh context and closes what the previous one had open (its flags poll and streams).
 */
export function configureHewston(next: Partial<HewstonClientOptions>): void {
  options = { ...next }
  shared?.dispose()
  shared = undefined
}

/** The context the drop-ins and `@hewston-bff/browser/react` share, created on first use. */
export function hewstonContext(): HewstonContext {
  if (!shared) {
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin
    const backendUrl = options.backendUrl ?? origin
    if (!backendUrl)
      throw new TypeError('configureHewston({ backendUrl }) is needed outside a page: there is no page origin to send the calls to')
    shared = new HewstonContext({ ...options, backendUrl })
  }
  return shared
}

export function listBacktests(query: ListRunsQuery = {}): Promise<ListRunsResponse> {
  return calls.listBacktests(hewstonContext(), query)
}

export function getRunDetail(run_id: string): Promise<RunDetail> {
  return calls.getRunDetail(hewstonContext(), run_id)
}

export function createBacktest(req: CreateRunRequest, idempotencyKey?: string): Promise<CreateRunResponse> {
  return calls.createBacktest(hewstonContext(), req, idempotencyKey)
}

export function fetchDaily(symbol: string, from?: string, to?: string): Promise<DailyResponse> {
  return calls.fetchDaily(hewstonContext(), symbol, from, to)
}

export function fetchMinute(symbol: string, from: string, to: string, rth_only = true): Promise<MinuteResponse> {
  return calls.fetchMinute(hewstonContext(), symbol, from, to, rth_only)
}

export function fetchMinuteDecimated(
  symbol: string,
  from: string,
  to: string,
  target = 10000,
  rth_only = true,
): Promise<MinuteResponse & Pick<DecimatedBarsResponse, 'meta'>> {
  return calls.fetchMinuteDecimated(hewstonContext(), symbol, from, to, target, rth_only)
}

export function fetchHour(symbol: string, from: string, to: string, rth_only = true): Promise<HourResponse> {
  return calls.fetchHour(hewstonContext(), symbol, from, to, rth_only)
}

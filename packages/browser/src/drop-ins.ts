import type {
  BarsResponse,
  CreateBacktestRequest,
  CreateBacktestResponse,
  DailyBarsResponse,
  DecimatedBarsResponse,
  ListQuery,
  RunDetail,
  RunList,
} from '@hewston-bff/core'
import { compact } from './compact.js'
import type { CallOptions, HewstonContext } from './context.js'
import { type JsonRequest, queryString, requestJson } from './http.js'

/**
 * The frontend's own calls (group `proxy`): the backend's endpoints, through the BFF's pass-through
 * (`/api/v1/...`) or straight to the backend — same path, same answer, byte for byte. Query strings drop
 * `undefined`, `null` and `''` as the frontend's services do.
 */
function proxied<T>(ctx: HewstonContext, path: string, params: object, options: CallOptions, request: JsonRequest = {}): Promise<T> {
  const rest = `${path}${queryString(compact(params))}`
  const send = (base: string) => requestJson<T>(ctx.fetch, `${base}/${rest}`, { ...request, signal: options.signal })
  return ctx.route(
    'proxy',
    () => send(`${ctx.bffUrl}/api/v1`),
    () => send(ctx.backendUrl),
    options.signal,
  )
}

/** `GET /backtests`: the run list, filtered and paged. */
export function listBacktests(ctx: HewstonContext, query: ListQuery = {}, options: CallOptions = {}): Promise<RunList> {
  return proxied(ctx, 'backtests', query, options)
}

/** `GET /backtests/{id}`: one run's detail. */
export function getRunDetail(ctx: HewstonContext, runId: string, options: CallOptions = {}): Promise<RunDetail> {
  return proxied(ctx, `backtests/${encodeURIComponent(runId)}`, {}, options)
}

/** `POST /backtests`, with an `Idempotency-Key` when given. */
export function createBacktest(
  ctx: HewstonContext,
  request: CreateBacktestRequest,
  idempotencyKey?: string,
  options: CallOptions = {},
): Promise<CreateBacktestResponse> {
  const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}
  return proxied(ctx, 'backtests', {}, options, { method: 'POST', body: request, headers })
}

/** `GET /bars/daily`. */
export function fetchDaily(
  ctx: HewstonContext,
  symbol: string,
  from?: string,
  to?: string,
  options: CallOptions = {},
): Promise<DailyBarsResponse> {
  return proxied(ctx, 'bars/daily', { symbol, from, to }, options)
}

/** `GET /bars/minute` (regular trading hours only by default, as the frontend asks). */
export function fetchMinute(
  ctx: HewstonContext,
  symbol: string,
  from: string,
  to: string,
  rth_only = true,
  options: CallOptions = {},
): Promise<BarsResponse> {
  return proxied(ctx, 'bars/minute', { symbol, from, to, rth_only }, options)
}

/** `GET /bars/hour`. */
export function fetchHour(
  ctx: HewstonContext,
  symbol: string,
  from: string,
  to: string,
  rth_only = true,
  options: CallOptions = {},
): Promise<BarsResponse> {
  return proxied(ctx, 'bars/hour', { symbol, from, to, rth_only }, options)
}

/** `GET /bars/minute_decimated`: at most about `target` bars, bucketed by the backend. */
export function fetchMinuteDecimated(
  ctx: HewstonContext,
  symbol: string,
  from: string,
  to: string,
  target?: number,
  rth_only = true,
  options: CallOptions = {},
): Promise<DecimatedBarsResponse> {
  return proxied(ctx, 'bars/minute_decimated', { symbol, from, to, target, rth_only }, options)
}

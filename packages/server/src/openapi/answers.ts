import { FRAME_FIELDS, RunDetailSchema, RunListItemSchema, StreamOrderSchema, TIMEFRAMES } from '@hewston-bff/core'
import { z } from 'zod'

/**
 * The answers of the BFF's own endpoints as zod schemas: the source of the OpenAPI document the server
 * publishes (`/api/v1/openapi.json`). Each one is checked against the TypeScript type core builds the
 * answers with (`openapi-answers.test.ts`), and every answer the contract test sees is validated against
 * the published document, so the three cannot drift apart. (They live here, not in core, so browsers do
 * not download schemas only the server's document needs.)
 */

const FailedSourceSchema = z.object({
  source: z.enum(['metrics', 'equity', 'orders', 'fills', 'chart']),
  code: z.string(),
  message: z.string(),
})

const RowBarSchema = z.object({ t: z.string(), o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() })
const ColumnarBarsSchema = z.object({
  t: z.array(z.string()),
  o: z.array(z.number()),
  h: z.array(z.number()),
  l: z.array(z.number()),
  c: z.array(z.number()),
  v: z.array(z.number()),
})

/** `GET /api/v1/chart-data`. */
export const ChartResponseSchema = z.object({
  symbol: z.string(),
  timeframe: z.enum(TIMEFRAMES),
  bars: z.union([z.array(RowBarSchema), ColumnarBarsSchema]).describe('rows (default) or columnar (format=columnar)'),
  metadata: z.object({
    total_bars: z
      .number()
      .int()
      .nullable()
      .describe('bars in the range; null while not known yet (a cold answer from the upstream decimation)'),
    returned_bars: z.number().int(),
    decimated: z.boolean(),
    bucket_minutes: z.number().int(),
    from_date: z.string(),
    to_date: z.string(),
    cache_hit: z.boolean(),
    upstream_calls: z.number().int(),
    load_time_ms: z.number(),
    stale: z.boolean().optional().describe('true when cached data past its freshness stood in while the upstream was out'),
    age_s: z.number().optional(),
  }),
})

const EquityPointSchema = z.object({ ts: z.string(), value: z.number() })

/** `GET /api/v1/runs/{id}/complete`. */
export const RunCompleteResponseSchema = z.object({
  run: RunDetailSchema,
  metrics: z.record(z.string(), z.number().nullable()).nullable(),
  equity: z.array(EquityPointSchema).nullable(),
  orders: z.array(z.record(z.string(), z.unknown())).nullable(),
  fills: z.array(z.record(z.string(), z.unknown())).nullable().optional(),
  chart: ChartResponseSchema.nullable().optional(),
  metadata: z.object({
    load_time_ms: z.number(),
    cache_hit: z.boolean(),
    upstream_calls: z.number().int(),
    sources: z.object({
      run: z.literal('upstream'),
      metrics: z.string().nullable(),
      equity: z.string().nullable(),
      orders: z.string().nullable(),
      fills: z.string().nullable().optional(),
      chart: z.string().nullable().optional(),
    }),
    partial_data: z.boolean(),
    failed_sources: z.array(FailedSourceSchema),
    fallbacks: z.array(FailedSourceSchema),
    equity_points: z.number().int(),
    equity_total_points: z.number().int(),
    orders_count: z.number().int(),
    stale: z.boolean().optional(),
    age_s: z.number().optional(),
  }),
})

const metric = z.number().nullable()
/** A run's row of the catalog's `run_metrics` (without `computed_at`). */
const CatalogMetricsSchema = z.object({
  total_return: metric,
  cagr: metric,
  max_drawdown: metric,
  sharpe: metric,
  sortino: metric,
  hit_rate: metric,
  avg_win: metric,
  avg_loss: metric,
  turnover: metric,
  slippage_share: metric,
  fees_paid: metric,
})

/** `GET /api/v1/runs`: the upstream's list with each run's catalog metrics. */
export const EnrichedRunListSchema = z.object({
  items: z.array(
    z.object({
      ...RunListItemSchema.shape,
      metrics: CatalogMetricsSchema.nullable().describe('the catalog row (with --root), else null'),
    }),
  ),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  metadata: z.object({ enriched: z.boolean(), metrics_source: z.literal('catalog').nullable(), reason: z.string().optional() }),
})

const PositionSchema = z.string().nullable()

/** Every message the playback stream (`/api/v1/runs/{id}/stream`, WebSocket) sends, by `t`. */
export const PlaybackMessageSchema = z.discriminatedUnion('t', [
  z
    .object({
      t: z.literal('frame'),
      ts: z.string(),
      dropped: z.number().int().describe('frames coalesced away so far on this connection'),
      ohlc: z.object({ o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() }).nullable().optional(),
      orders: z.array(StreamOrderSchema).optional(),
      equity: EquityPointSchema.optional(),
    })
    .describe(`a frame; only the fields asked for (${FRAME_FIELDS.join(', ')}; all by default)`),
  z.object({
    t: z.literal('status'),
    state: z.enum(['connecting', 'buffering', 'live', 'paused', 'reconnecting', 'ended', 'error']),
    position: PositionSchema,
    source: z.enum(['upstream', 'artifacts']),
    attempt: z.number().int().optional(),
    retry_in_ms: z.number().int().optional(),
  }),
  z.object({ t: z.literal('end'), frames: z.number().int(), dropped: z.number().int() }),
  z.object({ t: z.literal('err'), code: z.string(), msg: z.string() }),
  z.object({ t: z.literal('hb') }).describe('heartbeat'),
  z
    .looseObject({ t: z.literal('ctrl'), cmd: z.enum(['play', 'pause', 'seek', 'speed', 'fields']), echo: z.literal(true) })
    .describe("the echo of an accepted ctrl message: the client's object, every key kept, plus echo: true"),
])

/** What a playback client sends: `{"t":"ctrl","cmd":…}`; extra keys (e.g. `client_seq`) are echoed back. */
export const PlaybackControlSchema = z.looseObject({
  t: z.literal('ctrl'),
  cmd: z.enum(['play', 'pause', 'seek', 'speed', 'fields']),
  ts: z.string().optional().describe('seek: an ISO-8601 timestamp with a zone'),
  speed: z.number().optional().describe('speed: the new speed'),
  fields: z
    .union([z.string(), z.array(z.enum(FRAME_FIELDS))])
    .optional()
    .describe('fields: the frame fields to receive'),
})

import { z } from 'zod'

/**
 * One item of `GET /backtests` (contract §3). Answer schemas accept everything the contract allows — a
 * field that may be null or absent is `.nullish()` — so no answer the backend gives becomes a client error.
 */
export const RunListItemSchema = z.object({
  run_id: z.string(),
  created_at: z.string(),
  strategy_id: z.string(),
  status: z.string(),
  symbol: z.string().nullish(),
  run_from: z.string().nullish(),
  run_to: z.string().nullish(),
  duration_ms: z.number().int().nullish(),
})
export type RunListItem = z.infer<typeof RunListItemSchema>

export const RunListSchema = z.object({
  items: z.array(RunListItemSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
})
export type RunList = z.infer<typeof RunListSchema>

/** `GET /backtests/{id}` (contract §4). `run_from`/`run_to` are absent when the manifest lacks them. */
export const RunDetailSchema = z.object({
  run_id: z.string(),
  dataset_id: z.string().nullable(),
  strategy_id: z.string(),
  params: z.record(z.string(), z.unknown()).nullable(),
  seed: z.number().int().nullable(),
  slippage_fees: z.record(z.string(), z.unknown()).nullable(),
  speed: z.number().int().nullable(),
  code_hash: z.string().nullable(),
  created_at: z.string(),
  status: z.string(),
  duration_ms: z.number().int().nullish(),
  artifacts: z
    .object({
      metrics_path: z.string().nullish(),
      equity_path: z.string().nullish(),
      orders_path: z.string().nullish(),
      fills_path: z.string().nullish(),
      run_manifest_path: z.string().nullish(),
    })
    .nullable(),
  manifest: z.object({ path: z.string() }).nullish(),
  run_from: z.string().optional(),
  run_to: z.string().optional(),
})
export type RunDetail = z.infer<typeof RunDetailSchema>

/** The body of `POST /backtests` (contract §5); unknown fields pass through. */
export const CreateBacktestRequestSchema = z
  .object({
    strategy_id: z.string().min(1),
    params: z.record(z.string(), z.unknown()).optional(),
    seed: z.number().int().optional(),
    speed: z.number().int().optional(),
    slippage_fees: z.record(z.string(), z.unknown()).optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    dataset_id: z.string().optional(),
    symbol: z.string().optional(),
    year: z.number().int().optional(),
  })
  .passthrough()
export type CreateBacktestRequest = z.infer<typeof CreateBacktestRequestSchema>

export const CreateBacktestResponseSchema = z.object({
  run_id: z.string(),
  /** `QUEUED` or `EXISTS` today; any string is accepted, as the frontend does. */
  status: z.string(),
})
export type CreateBacktestResponse = z.infer<typeof CreateBacktestResponseSchema>

export const HealthzSchema = z.object({ status: z.string() })

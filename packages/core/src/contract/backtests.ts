import * as z from 'zod/mini'
import { int } from './int.js'

/*
 * Schemas are built with `zod/mini`, zod 4's tree-shakable build: a browser app that imports one of them
 * pays a few kilobytes, not the whole of classic zod. They are ordinary zod 4 schemas (`parse`,
 * `safeParse`, `z.infer`, JSON Schema output), usable inside classic schemas too.
 */

/**
 * One item of `GET /backtests` (contract §3). Answer schemas accept everything the contract allows — a
 * field that may be null or absent is nullish — so no answer the backend gives becomes a client error.
 */
export const RunListItemSchema = z.object({
  run_id: z.string(),
  created_at: z.string(),
  strategy_id: z.string(),
  status: z.string(),
  symbol: z.nullish(z.string()),
  run_from: z.nullish(z.string()),
  run_to: z.nullish(z.string()),
  duration_ms: z.nullish(int()),
})
export type RunListItem = z.infer<typeof RunListItemSchema>

export const RunListSchema = z.object({
  items: z.array(RunListItemSchema),
  total: int(),
  limit: int(),
  offset: int(),
})
export type RunList = z.infer<typeof RunListSchema>

const anyRecord = () => z.record(z.string(), z.unknown())

/** `GET /backtests/{id}` (contract §4). `run_from`/`run_to` are absent when the manifest lacks them. */
export const RunDetailSchema = z.object({
  run_id: z.string(),
  dataset_id: z.nullable(z.string()),
  strategy_id: z.string(),
  params: z.nullable(anyRecord()),
  seed: z.nullable(int()),
  slippage_fees: z.nullable(anyRecord()),
  speed: z.nullable(int()),
  code_hash: z.nullable(z.string()),
  created_at: z.string(),
  status: z.string(),
  duration_ms: z.nullish(int()),
  artifacts: z.nullable(
    z.object({
      metrics_path: z.nullish(z.string()),
      equity_path: z.nullish(z.string()),
      orders_path: z.nullish(z.string()),
      fills_path: z.nullish(z.string()),
      run_manifest_path: z.nullish(z.string()),
    }),
  ),
  manifest: z.nullish(z.object({ path: z.string() })),
  run_from: z.optional(z.string()),
  run_to: z.optional(z.string()),
})
export type RunDetail = z.infer<typeof RunDetailSchema>

/** The body of `POST /backtests` (contract §5); unknown fields pass through. */
export const CreateBacktestRequestSchema = z.looseObject({
  strategy_id: z.string().check(z.minLength(1)),
  params: z.optional(anyRecord()),
  seed: z.optional(int()),
  speed: z.optional(int()),
  slippage_fees: z.optional(anyRecord()),
  from: z.optional(z.string()),
  to: z.optional(z.string()),
  dataset_id: z.optional(z.string()),
  symbol: z.optional(z.string()),
  year: z.optional(int()),
})
export type CreateBacktestRequest = z.infer<typeof CreateBacktestRequestSchema>

export const CreateBacktestResponseSchema = z.object({
  run_id: z.string(),
  /** `QUEUED` or `EXISTS` today; any string is accepted, as the frontend does. */
  status: z.string(),
})
export type CreateBacktestResponse = z.infer<typeof CreateBacktestResponseSchema>

export const HealthzSchema = z.object({ status: z.string() })

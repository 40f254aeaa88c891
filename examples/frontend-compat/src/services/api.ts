// The frontend's services/api.ts after the migration: the same names, from the SDK.
export {
  type CreateRunRequest,
  CreateRunRequestSchema,
  type CreateRunResponse,
  CreateRunResponseSchema,
  createBacktest,
  getRunDetail,
  type ListRunsQuery,
  type ListRunsResponse,
  ListRunsResponseSchema,
  listBacktests,
  type RunDetail,
  RunDetailSchema,
  type RunSummary,
  RunSummarySchema,
  type StreamFrame,
  StreamFrameSchema,
} from '@hewston-bff/browser/compat'

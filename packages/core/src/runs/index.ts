export { decimateEquity } from './decimate-equity.js'
export { ArtifactError, RunNotFoundError } from './errors.js'
export { type ComputedMetrics, completeMetrics, computeMetrics, type EquityPoint, RUN_METRICS } from './metrics.js'
export type { ArtifactSource, ArtifactStat, ArtifactTable, CatalogMetrics, MetricsCatalog } from './ports.js'
export {
  parseRunCompleteQuery,
  parseRunListQuery,
  RUN_ID_RE,
  type RunCompleteOptions,
  RunCompleteQuerySchema,
  type RunListQuery,
  RunListQuerySchema,
} from './query.js'
export { type EnrichedRunList, enrichRunList } from './run-list.js'
export { type FailedSource, type PartName, type RunCompleteResponse, RunService, type RunServiceOptions } from './run-service.js'
export { readRunStream, type StreamedRun } from './sse-timeline.js'

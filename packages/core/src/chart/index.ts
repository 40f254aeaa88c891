export { BUCKETS, type Bucket, bucketOhlc, chooseBucket, countBuckets } from './buckets.js'
export { type Chunk, type SourceKind, planChunks } from './chunks.js'
export { type ColumnarBars, isoSeconds, mergeRange, toColumnar } from './columnar.js'
export { type ChartQueryLimits, type ChartRequest, TIMEFRAMES, type Timeframe, chartQuerySchema, parseChartQuery } from './query.js'
export {
  type CallerContext,
  type ChartMetadata,
  type ChartResponse,
  type ChartResult,
  type ChartRowBar,
  ChartService,
  type ChartServiceOptions,
  DatasetNotFoundError,
} from './chart-service.js'
export { credentialScope } from './scope.js'

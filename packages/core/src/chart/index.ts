export { BUCKETS, type Bucket, bucketOhlc, chooseBucket, countBuckets } from './buckets.js'
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
export { type Chunk, planChunks, type SourceKind } from './chunks.js'
export { type ColumnarBars, mergeRange, toColumnar } from './columnar.js'
export { type ChartQueryLimits, type ChartRequest, chartQuerySchema, parseChartQuery, TIMEFRAMES, type Timeframe } from './query.js'
export { credentialScope } from './scope.js'

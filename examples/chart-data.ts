// Prints a decimated chart summary straight from a Hewston backend, using @hewston-bff/core alone (no BFF
// server): the same aggregation the BFF and the browser's direct mode run.
//
//   node --import tsx examples/chart-data.ts --backend http://127.0.0.1:8000 --symbol AAPL \
//     --from 2024-01-01 --to 2024-12-31 [--timeframe 1M_DECIMATED] [--target 2000]
import { parseArgs } from 'node:util'
import { type ChartRowBar, ChartService, createUpstreamClient, isBffError, MemoryCache, parseChartQuery } from '@hewston-bff/core'

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: process.env.HEWSTON_BACKEND_URL ?? 'http://127.0.0.1:8000' },
    symbol: { type: 'string', default: 'AAPL' },
    from: { type: 'string', default: '2024-01-01' },
    to: { type: 'string', default: '2024-12-31' },
    timeframe: { type: 'string', default: '1M_DECIMATED' },
    target: { type: 'string', default: '2000' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(
    'usage: chart-data.ts --backend <url> --symbol <S> --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--timeframe 1D|1H|1M|1M_DECIMATED] [--target <points>]',
  )
  process.exit(0)
}

const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl: values.backend as string }), cache: new MemoryCache() })
try {
  const query = parseChartQuery({
    symbol: values.symbol,
    timeframe: values.timeframe,
    from_date: values.from,
    to_date: values.to,
    target_points: values.target,
  })
  const { response } = await charts.getChart(query, { scope: 'public' })
  const bars = response.bars as ChartRowBar[]
  const m = response.metadata
  const high = Math.max(...bars.map((b) => b.h))
  const low = Math.min(...bars.map((b) => b.l))
  const volume = bars.reduce((s, b) => s + b.v, 0)
  console.log(`${response.symbol} ${response.timeframe} ${m.from_date}..${m.to_date}`)
  console.log(
    // total_bars is null on a cold answer taken from the upstream's own decimation (exact bars, total not yet known).
    `  bars: ${m.returned_bars} of ${m.total_bars ?? 'unknown'} (${m.decimated ? `decimated to ${m.bucket_minutes}-minute buckets` : 'full resolution'})`,
  )
  console.log(`  first: ${bars[0]?.t} open ${bars[0]?.o}   last: ${bars.at(-1)?.t} close ${bars.at(-1)?.c}`)
  console.log(`  range: low ${low} high ${high}   volume ${volume.toLocaleString('en-US')}`)
  console.log(`  upstream calls: ${m.upstream_calls}, loaded in ${m.load_time_ms} ms`)
} catch (err) {
  console.error(isBffError(err) ? `${err.code}: ${err.message} ${JSON.stringify(err.details)}` : err)
  process.exit(1)
}

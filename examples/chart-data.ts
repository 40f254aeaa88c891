// Prints a decimated chart summary straight from a Hewston backend, using @hewston-bff/core alone (no BFF
// server): the same aggregation the BFF and the browser's direct mode run.
//
//   node --import tsx examples/chart-data.ts --backend http://127.0.0.1:8000 --symbol AAPL \
//     --from 2024-01-01 --to 2024-12-31 [--timeframe 1M_DECIMATED] [--target 2000]
//
// Exit codes: 0 done, 1 the backend failed or refused (the message says why), 2 bad usage.
import { type ChartRowBar, ChartService, createUpstreamClient, MemoryCache, parseChartQuery } from '@hewston-bff/core'
import { fail, num, parseOptions } from './lib/cli.js'

const values = parseOptions(
  {
    backend: { type: 'string', default: process.env.HEWSTON_BACKEND_URL ?? 'http://127.0.0.1:8000' },
    symbol: { type: 'string', default: 'AAPL' },
    from: { type: 'string', default: '2024-01-01' },
    to: { type: 'string', default: '2024-12-31' },
    timeframe: { type: 'string', default: '1M_DECIMATED' },
    target: { type: 'string', default: '2000' },
    help: { type: 'boolean', short: 'h' },
  },
  'usage: chart-data.ts --backend <url> --symbol <S> --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--timeframe 1D|1H|1M|1M_DECIMATED] [--target <points>]',
)

const backend = values.backend as string
const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl: backend }), cache: new MemoryCache() })
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
  if (bars.length) {
    console.log(`  first: ${bars[0]?.t} open ${num(bars[0]?.o)}   last: ${bars.at(-1)?.t} close ${num(bars.at(-1)?.c)}`)
    console.log(`  range: low ${num(low)} high ${num(high)}   volume ${num(volume, 0)}`)
  }
  console.log(`  upstream calls: ${m.upstream_calls}, loaded in ${num(m.load_time_ms, 0)} ms`)
} catch (err) {
  fail(err, { name: 'backend', url: backend, flag: '--backend' })
}

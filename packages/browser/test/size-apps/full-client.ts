// A consumer app that uses the whole client: every call, a stream, TanStack query options, events.
import { createHewstonClient, hewstonQueries } from '@hewston-bff/browser'

const client = createHewstonClient({ backendUrl: 'http://127.0.0.1:8000' })
client.on('fallback', (e) => console.warn(e))
client.on('config-error', (e) => console.error(e.message))
const q = hewstonQueries(client)
console.log(q.runs({ limit: 5 }).queryKey)
console.log(await client.listBacktests({ limit: 5 }), await client.getRunDetail('r'), await client.createBacktest({ strategy_id: 's' }))
console.log(await client.fetchDaily('AAPL'), await client.fetchMinute('AAPL', 'a', 'b'), await client.fetchHour('AAPL', 'a', 'b'))
console.log(await client.fetchMinuteDecimated('AAPL', 'a', 'b', 100))
console.log(await client.getChartData({ symbol: 'AAPL', timeframe: '1H', from_date: '2024-10-01', to_date: '2024-12-31' }))
console.log(await client.getRunComplete('r'), await client.listRuns({ limit: 5 }))
const stream = client.openRunStream('r', { fps: 30 })
stream.on('frame', (f) => console.log(f.ts)).play()
client.flags.set({ stream: false })

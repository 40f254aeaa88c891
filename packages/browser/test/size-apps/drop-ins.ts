// A consumer app that uses only the frontend's drop-in calls (`@hewston-bff/browser/compat`).
import {
  createBacktest,
  fetchDaily,
  fetchHour,
  fetchMinute,
  fetchMinuteDecimated,
  getRunDetail,
  listBacktests,
} from '@hewston-bff/browser/compat'

const runs = await listBacktests({ symbol: 'AAPL', limit: 20 })
const first = runs.items[0]
if (first) console.log(await getRunDetail(first.run_id))
console.log(await fetchDaily('AAPL', '2024-01-01', '2024-12-31'))
console.log(await fetchMinute('AAPL', '2024-12-02', '2024-12-06'))
console.log(await fetchHour('AAPL', '2024-12-02', '2024-12-06', true))
console.log(await fetchMinuteDecimated('AAPL', '2024-01-01', '2024-12-31', 5000))
console.log(await createBacktest({ strategy_id: 'sma_cross' }, 'key-1'))

// Runs in its own process so the load generator does not share an event loop with what it measures.
// Input: one JSON argument {url, connections, durationS, headers?}; output: one JSON line of figures.
import autocannon from 'autocannon'

const spec = JSON.parse(process.argv[2] as string) as {
  url: string
  connections: number
  durationS: number
  headers?: Record<string, string>
}
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  headers: spec.headers,
  pipelining: 1,
})
process.stdout.write(
  `${JSON.stringify({
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    mean: result.latency.average,
    rps: result.requests.average,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    bytesPerReq: result.requests.total ? result.throughput.total / result.requests.total : 0,
  })}\n`,
)

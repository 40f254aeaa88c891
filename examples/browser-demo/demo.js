// The demo page: lists runs, opens one (run + metrics + equity + candles in one request), plays it through
// the paced stream, and lets you flip each group between the BFF and the backend at runtime.
import { createHewstonClient, GROUPS } from './sdk.js'

const $ = (id) => document.getElementById(id)
const flagsDoc = await (await fetch('/api/v1/flags')).json()
const params = new URLSearchParams(location.search)
const client = createHewstonClient({
  bffUrl: location.origin,
  backendUrl: flagsDoc.backend_url,
  flagsPollMs: flagsDoc.poll_ms,
  fallbackCooldownMs: Number(params.get('cooldown') ?? 15000),
})
window.hewston = client

function renderFlags() {
  const box = $('flags')
  for (const l of box.querySelectorAll('label')) l.remove()
  const flags = client.flags.get()
  for (const g of GROUPS) {
    const label = document.createElement('label')
    label.style.display = 'block'
    label.innerHTML = `<input type="checkbox" id="flag-${g}" ${flags[g] ? 'checked' : ''}> ${g}`
    label.querySelector('input').addEventListener('change', (e) => client.flags.set({ [g]: e.target.checked }))
    box.append(label)
  }
  $('modes').textContent = JSON.stringify(client.modes())
}
client.on('flags', renderFlags)
client.on('mode', () => ($('modes').textContent = JSON.stringify(client.modes())))
client.on('fallback', (e) => ($('events').textContent = `fallback: ${e.group} now direct (${e.reason})`))
client.on('recovered', (g) => ($('events').textContent = `recovered: ${g} back on the BFF`))
renderFlags()

const { createChart, CandlestickSeries, LineSeries } = window.LightweightCharts
const candleChart = createChart($('candles'), { autoSize: true })
const equityChart = createChart($('equity'), { autoSize: true })
const candles = candleChart.addSeries(CandlestickSeries)
const equity = equityChart.addSeries(LineSeries)
const toTime = (iso) => Math.floor(Date.parse(iso) / 1000)

let stream
const runs = await client.listRuns({ limit: 50 })
for (const run of runs.items) {
  const li = document.createElement('li')
  li.dataset.runId = run.run_id
  li.textContent = `${run.symbol ?? '?'} ${run.run_from}..${run.run_to} ${run.strategy_id}`
  li.addEventListener('click', () => openRun(run.run_id, li))
  $('runs').append(li)
}
document.body.dataset.ready = 'runs'

async function openRun(runId, li) {
  for (const x of document.querySelectorAll('#runs li')) x.classList.remove('active')
  li.classList.add('active')
  stream?.close()
  const page = await client.getRunComplete(runId, { include_chart: '1H', equity_points: 2000 })
  $('title').textContent = `Run ${runId} (${page.metadata.mode})`
  $('metrics').textContent = JSON.stringify(page.metrics)
  candles.setData((page.chart?.bars ?? []).map((b) => ({ time: toTime(b.t), open: b.o, high: b.h, low: b.l, close: b.c })))
  equity.setData((page.equity ?? []).map((p) => ({ time: toTime(p.ts), value: p.value })))
  candleChart.timeScale().fitContent()
  equityChart.timeScale().fitContent()
  let frames = 0
  let orders = 0
  stream = client.openRunStream(runId, { fps: 30, speed: Number(params.get('speed') ?? $('speed').value) })
  window.demoFrames = []
  stream.on('frame', (f) => window.demoFrames.push({ ts: f.ts, orders: f.orders.map((o) => o.order_id), dropped: f.dropped }))
  window.demoStream = stream
  stream.on('frame', (f) => {
    frames++
    orders += f.orders.length
    $('frames').textContent = frames
    $('orders').textContent = orders
    $('dropped').textContent = f.dropped
    $('position').textContent = f.ts
  })
  stream.on('status', (s) => ($('status').textContent = `${s.state} (${s.mode})`))
  stream.on('end', (e) => {
    $('status').textContent = `ended (${stream.mode})`
    document.body.dataset.ended = `${e.frames + e.dropped}`
  })
  stream.on('error', (e) => ($('status').textContent = `error ${e.code}: ${e.msg}`))
  $('play').disabled = false
  $('pause').disabled = false
  document.body.dataset.ready = 'run'
}

$('play').addEventListener('click', () => stream?.play())
$('pause').addEventListener('click', () => stream?.pause())
$('speed').addEventListener('change', (e) => stream?.setSpeed(Number(e.target.value)))

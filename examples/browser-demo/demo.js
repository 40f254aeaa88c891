// The demo page: lists runs, opens one (run, metrics, equity and candles in one request), marks its orders on
// the chart and plays it through the paced stream — a playhead on both charts, the equity drawn up to the
// current frame, orders appearing as they happen — and lets you flip each group between the BFF and the
// backend at runtime. `window.demo.state()` reports what the charts show (for tests and the curious).
import { createHewstonClient, GROUPS } from './sdk.js'

// speed 1 = a year of market time per hour (docs/stream.md), so a month takes 5 min; 10 plays it in 30 s.
const DEFAULT_SPEED = 10
const SECONDS_PER_MONTH_AT_SPEED_1 = 300

const $ = (id) => document.getElementById(id)
const params = new URLSearchParams(location.search)
const flagsDoc = await (await fetch('/api/v1/flags')).json()
const client = createHewstonClient({
  bffUrl: location.origin,
  backendUrl: flagsDoc.backend_url,
  flagsPollMs: flagsDoc.poll_ms,
  fallbackCooldownMs: Number(params.get('cooldown') ?? 15000),
})
window.hewston = client

// ---- flags and modes ---------------------------------------------------------------------------------
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
  renderModes()
}
function renderModes() {
  $('modes').replaceChildren(
    ...Object.entries(client.modes()).map(([g, m]) => {
      const li = document.createElement('li')
      li.textContent = `${g}: ${m === 'bff' ? 'through the BFF' : 'direct to the backend'}`
      return li
    }),
  )
}
client.on('flags', renderFlags)
client.on('mode', renderModes)
client.on('fallback', (e) => ($('events').textContent = `fallback: ${e.group} now direct (${e.reason})`))
client.on('recovered', (g) => ($('events').textContent = `recovered: ${g} back on the BFF`))
renderFlags()

// ---- formatting --------------------------------------------------------------------------------------
const METRICS = {
  total_return: ['Total return', 'percent'],
  cagr: ['CAGR', 'percent'],
  max_drawdown: ['Max drawdown', 'percent'],
  volatility: ['Volatility', 'percent'],
  sharpe: ['Sharpe ratio', 'ratio'],
  sortino: ['Sortino ratio', 'ratio'],
}
function formatMetric(kind, v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–'
  if (kind === 'percent') {
    const pct = v * 100
    // Two decimals, or two significant digits for tiny values (-0.0102 %, not -0.01 % or -0.00 %).
    const digits =
      Math.abs(pct) >= 0.1 || Math.abs(pct) < 1e-4
        ? { minimumFractionDigits: 2, maximumFractionDigits: 2 }
        : { maximumSignificantDigits: 2 }
    // Below 0.0001 % it is float noise: 0.00 %.
    return `${(Math.abs(pct) < 1e-4 ? 0 : pct).toLocaleString('en-US', digits)} %`
  }
  if (kind === 'ratio') return v.toFixed(2)
  return v.toLocaleString('en-US', { maximumSignificantDigits: 4 })
}
function renderMetrics(metrics) {
  const rows = Object.entries(metrics ?? {}).sort(([a], [b]) => (a in METRICS ? 0 : 1) - (b in METRICS ? 0 : 1))
  $('metrics').replaceChildren(
    ...rows.map(([k, v]) => {
      const [label, kind] = METRICS[k] ?? [k.replaceAll('_', ' '), 'number']
      const tr = document.createElement('tr')
      tr.innerHTML = '<td></td><td></td>'
      tr.children[0].textContent = label
      tr.children[1].textContent = formatMetric(kind, v)
      tr.dataset.metric = k
      return tr
    }),
  )
}
const toTime = (iso) => Math.floor(Date.parse(iso) / 1000)
const when = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`

// ---- charts ------------------------------------------------------------------------------------------
const { createChart, createSeriesMarkers, CandlestickSeries, LineSeries } = window.LightweightCharts
const chartOptions = { autoSize: true, timeScale: { timeVisible: true, secondsVisible: false }, layout: { attributionLogo: false } }
const candleChart = createChart($('candles'), chartOptions)
const equityChart = createChart($('equity'), chartOptions)
const candles = candleChart.addSeries(CandlestickSeries, {
  upColor: '#1a9c5b',
  downColor: '#d64545',
  borderVisible: false,
  wickUpColor: '#1a9c5b',
  wickDownColor: '#d64545',
})
const orderMarkers = createSeriesMarkers(candles, [])
// The whole curve, faint, and the part played so far on top of it.
const equityWhole = equityChart.addSeries(LineSeries, { color: '#c9cfdf', lineWidth: 1, priceLineVisible: false, lastValueVisible: false })
const equityPlayed = equityChart.addSeries(LineSeries, { color: '#3b5bdb', lineWidth: 2 })

/** The largest element of sorted `times` that is ≤ t (charts place things on their own bars). */
function snap(times, t) {
  let lo = 0
  let hi = times.length - 1
  if (hi < 0 || t < times[0]) return times[0]
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (times[mid] <= t) lo = mid
    else hi = mid - 1
  }
  return times[lo]
}

let view // { barTimes, equityTimes, orders, markers, playheadTs, lastEquityTime }
const markerOf = (o) => ({
  time: snap(view.barTimes, toTime(o.ts_utc)),
  position: o.side === 'BUY' ? 'belowBar' : 'aboveBar',
  color: o.side === 'BUY' ? '#1a9c5b' : '#d64545',
  shape: o.side === 'BUY' ? 'arrowUp' : 'arrowDown',
  id: o.order_id,
})
const setMarkers = (markers) => orderMarkers.setMarkers([...markers].sort((a, b) => a.time - b.time))

let playheadQueued = false
function placePlayheads() {
  playheadQueued = false
  if (!view?.playheadTs) return
  const t = toTime(view.playheadTs)
  for (const [chart, times, id] of [
    [candleChart, view.barTimes, 'playhead-candles'],
    [equityChart, view.equityTimes, 'playhead-equity'],
  ]) {
    const x = chart.timeScale().timeToCoordinate(snap(times, t))
    const line = $(id)
    line.style.display = x === null ? 'none' : 'block'
    if (x !== null) line.style.left = `${Math.round(x)}px`
  }
}
const queuePlayheads = () => {
  if (!playheadQueued) requestAnimationFrame(placePlayheads)
  playheadQueued = true
}
candleChart.timeScale().subscribeVisibleTimeRangeChange(queuePlayheads)
equityChart.timeScale().subscribeVisibleTimeRangeChange(queuePlayheads)

/** What the charts show now, read from the charts themselves. */
window.demo = {
  state() {
    const t = view?.playheadTs ? toTime(view.playheadTs) : null
    return {
      playheadTime: t,
      candleX: t === null ? null : candleChart.timeScale().timeToCoordinate(snap(view.barTimes, t)),
      equityX: t === null ? null : equityChart.timeScale().timeToCoordinate(snap(view.equityTimes, t)),
      markers: orderMarkers.markers().length,
      equityPoints: equityPlayed.data().length,
      lastEquityTime: equityPlayed.data().at(-1)?.time ?? null,
    }
  },
}

// ---- runs --------------------------------------------------------------------------------------------
let stream
let started = false
const runs = await client.listRuns({ limit: 50 })
for (const run of runs.items) {
  const li = document.createElement('li')
  li.dataset.runId = run.run_id
  li.innerHTML = '<span></span><small></small>'
  li.children[0].textContent = `${run.symbol ?? '?'} · ${run.strategy_id}`
  li.children[1].textContent = `${run.run_from ?? '?'} → ${run.run_to ?? '?'} · ${run.status}`
  li.addEventListener('click', () => openRun(run, li))
  $('runs').append(li)
}
document.body.dataset.ready = 'runs'

const speedInput = $('speed')
speedInput.value = params.get('speed') ?? String(DEFAULT_SPEED)
const currentSpeed = () => (Number(speedInput.value) > 0 ? Number(speedInput.value) : DEFAULT_SPEED)
const renderSpeedHint = () => {
  const s = SECONDS_PER_MONTH_AT_SPEED_1 / currentSpeed()
  $('speed-hint').textContent = `a month in ${s >= 120 ? `${Math.round(s / 60)} min` : `${Number(s.toPrecision(2))} s`}`
}
renderSpeedHint()

async function openRun(run, li) {
  for (const x of document.querySelectorAll('#runs li')) x.classList.remove('active')
  li.classList.add('active')
  stream?.close()
  $('title').textContent = `${run.symbol ?? '?'} · ${run.strategy_id} · ${run.run_from ?? '?'} → ${run.run_to ?? '?'}`
  $('subtitle').textContent = 'loading…'
  const page = await client.getRunComplete(run.run_id, { include_chart: '1H', equity_points: 2000 })
  $('subtitle').textContent =
    `run ${run.run_id} · ${page.run.status} · loaded through ${page.metadata.mode === 'bff' ? 'the BFF' : 'the backend directly'}`
  renderMetrics(page.metrics)
  const bars = (page.chart?.bars ?? []).map((b) => ({ time: toTime(b.t), open: b.o, high: b.h, low: b.l, close: b.c }))
  const equity = (page.equity ?? []).map((p) => ({ time: toTime(p.ts), value: p.value }))
  view = { barTimes: bars.map((b) => b.time), equityTimes: equity.map((p) => p.time), markers: [], playheadTs: undefined }
  candles.setData(bars)
  equityWhole.setData(equity)
  // Before playback: the whole run, every order marked.
  equityPlayed.setData(equity)
  setMarkers((page.orders ?? []).map(markerOf))
  candleChart.timeScale().fitContent()
  equityChart.timeScale().fitContent()
  for (const id of ['playhead-candles', 'playhead-equity']) $(id).style.display = 'none'
  openStream(run.run_id)
  $('play').disabled = false
  $('pause').disabled = false
  document.body.dataset.ready = 'run'
}

function openStream(runId) {
  started = false
  let frames = 0
  let orders = 0
  stream = client.openRunStream(runId, { fps: 30, speed: currentSpeed() })
  window.demoFrames = []
  window.demoStream = stream
  stream.on('frame', (f) => {
    window.demoFrames.push({ ts: f.ts, orders: (f.orders ?? []).map((o) => o.order_id), dropped: f.dropped })
    frames++
    view.playheadTs = f.ts
    if (f.equity && toTime(f.equity.ts) > (view.lastEquityTime ?? -1)) {
      view.lastEquityTime = toTime(f.equity.ts)
      equityPlayed.update({ time: view.lastEquityTime, value: f.equity.value })
    }
    if (f.orders?.length) {
      orders += f.orders.length
      view.markers.push(...f.orders.map(markerOf))
      setMarkers(view.markers)
    }
    queuePlayheads()
    $('frames').textContent = frames.toLocaleString('en-US')
    $('orders').textContent = orders.toLocaleString('en-US')
    $('dropped').textContent = f.dropped.toLocaleString('en-US')
    $('position').textContent = when(f.ts)
  })
  stream.on('status', (s) => ($('status').textContent = `${s.state} (${s.mode === 'bff' ? 'BFF' : 'direct'})`))
  stream.on('end', (e) => {
    $('status').textContent = `ended (${stream.mode === 'bff' ? 'BFF' : 'direct'})`
    document.body.dataset.ended = `${e.frames + e.dropped}`
    $('play').textContent = 'Replay'
  })
  stream.on('error', (e) => ($('status').textContent = `error ${e.code}: ${e.msg}`))
}

$('play').addEventListener('click', () => {
  if (document.body.dataset.ended !== undefined && stream) {
    // Replay: a fresh stream from the start.
    delete document.body.dataset.ended
    stream.close()
    openStream(stream.runId ?? $('runs').querySelector('li.active')?.dataset.runId)
    $('play').textContent = 'Play'
  }
  if (!started) {
    // The played part starts empty: equity and orders appear as the run unfolds.
    started = true
    view.markers = []
    view.lastEquityTime = undefined
    equityPlayed.setData([])
    setMarkers([])
  }
  stream?.play()
})
$('pause').addEventListener('click', () => stream?.pause())
speedInput.addEventListener('input', () => {
  renderSpeedHint()
  if (Number(speedInput.value) > 0) stream?.setSpeed(currentSpeed())
})

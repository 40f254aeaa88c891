import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { openSqlite } from '../data/sqlite.js'
import { SESSION_MINUTES, sessionOpenUtc, tradingDays } from './calendar.js'
import { CATALOG_DDL } from './catalog-ddl.js'
import { gaussian, hash32, seededRandom } from './random.js'

export interface GenerateOptions {
  /** Where to create the working directory (its `data/` folder is replaced). */
  out: string
  symbols?: string[]
  years?: number[]
  seed?: number
  /** Called with one human-readable line per step. */
  progress?: (line: string) => void
}

export interface GeneratedRun {
  runId: string
  symbol: string
  year: number
  from: string
  to: string
  equityRows: number
  orders: number
}

export interface GenerateResult {
  root: string
  symbols: string[]
  years: number[]
  minuteBars: number
  runs: GeneratedRun[]
}

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const cents = (x: number) => Math.round(x * 100) / 100

interface MinuteBars {
  t: number[]
  o: number[]
  h: number[]
  l: number[]
  c: number[]
  v: number[]
  n: number[]
  vw: number[]
}

/**
 * Writes a deterministic synthetic Hewston working directory: minute and daily bars per symbol-year with
 * the real files' 16-column schema, SMA-crossover backtest runs with equity/orders/fills/metrics/manifest
 * artifacts, and a catalog built from the upstream's DDL. Same options, same bytes.
 */
export function generateWorkdir(options: GenerateOptions): GenerateResult {
  const symbols = options.symbols ?? ['AAPL', 'MSFT']
  const years = options.years ?? [2024]
  const seed = options.seed ?? 1
  const log = options.progress ?? (() => {})
  const root = path.resolve(options.out)
  const data = path.join(root, 'data')
  rmSync(data, { recursive: true, force: true })
  mkdirSync(data, { recursive: true })

  const catalogPath = path.join(data, 'catalog.sqlite')
  const db = openSqlite(catalogPath, { readOnly: false })
  db.exec(CATALOG_DDL)
  const insertDataset = db.prepare(
    `INSERT INTO datasets VALUES (@dataset_id, @symbol, @from_date, @to_date, @products_json, @calendar_version, @tz,
       @raw_dbn_json, @bars_parquet_json, @bars_manifest_path, @generated_at, @size_bytes, @status)`,
  )
  const insertRun = db.prepare(
    `INSERT INTO runs VALUES (@run_id, @dataset_id, @strategy_id, @params_json, @seed, @slippage_fees_json, @speed,
       @code_hash, @created_at, @status, @duration_ms, @metrics_path, @equity_path, @orders_path, @fills_path,
       @run_manifest_path, NULL, NULL)`,
  )
  const insertMetrics = db.prepare(`INSERT INTO run_metrics (run_id, total_return, max_drawdown, computed_at) VALUES (?, ?, ?, ?)`)

  const result: GenerateResult = { root, symbols, years, minuteBars: 0, runs: [] }
  let runCounter = 0
  for (const symbol of symbols) {
    let price = 80 + (hash32(`${symbol}:${seed}`) % 300)
    for (const year of years) {
      const rand = seededRandom(hash32(`${symbol}:${year}:${seed}`))
      const bars = minuteBars(year, price, rand)
      price = bars.c.at(-1) ?? price
      result.minuteBars += bars.t.length
      const rel = (...p: string[]) => path.posix.join('data', ...p)
      const barDir = rel('derived', 'bars', symbol, String(year))
      mkdirSync(path.join(root, barDir), { recursive: true })
      const minutePath = path.posix.join(barDir, 'bars_1Min.parquet')
      const minuteBytes = writeBars(path.join(root, minutePath), symbol, bars, '1Min')
      const daily = dailyBars(bars)
      writeBars(path.join(root, barDir, 'bars_1Day.parquet'), symbol, daily, '1Day')
      const firstDay = day(bars.t[0] as number)
      const lastDay = day(bars.t.at(-1) as number)
      const createdAt = `${year + 1}-01-02T09:00:00.000000+00:00`
      writeFileSync(
        path.join(root, barDir, 'bars_manifest.json'),
        `${JSON.stringify({ dataset_id: `${symbol}-${year}-1d`, symbol, interval: '1d', from_date: firstDay, to_date: lastDay, products: ['TRADES', 'TBBO'], calendar_version: 'v1', tz: 'America/New_York', created_at: createdAt }, null, 2)}\n`,
      )
      log(`  ${symbol} ${year}: ${bars.t.length.toLocaleString('en-US')} minute bars, ${daily.t.length} daily bars`)
      const datasetId = `${symbol}-${year}-1m`
      insertDataset.run({
        dataset_id: datasetId,
        symbol,
        from_date: firstDay,
        to_date: lastDay,
        products_json: '["TRADES", "TBBO"]',
        calendar_version: 'v1',
        tz: 'America/New_York',
        raw_dbn_json: '[]',
        bars_parquet_json: JSON.stringify([minutePath]),
        bars_manifest_path: path.posix.join(barDir, 'bars_manifest.json'),
        generated_at: createdAt,
        size_bytes: minuteBytes,
        status: 'READY',
      })

      // Two runs per symbol-year: the real data's shape (Q4, SMA 20/50) and a shorter, faster one.
      const plans = [
        { fast: 20, slow: 50, from: Date.UTC(year, 9, 1), to: Date.UTC(year, 11, 31) },
        { fast: 10, slow: 30, from: Date.UTC(year, 11, 1), to: Date.UTC(year, 11, 31) },
      ]
      for (const plan of plans) {
        runCounter++
        const runId = hex32(hash32(`${symbol}:${year}:${plan.fast}:${plan.slow}:${seed}`), runCounter)
        const dir = rel('backtests', runId)
        mkdirSync(path.join(root, dir), { recursive: true })
        const run = backtest(bars, plan.from, plan.to + DAY_MS - MINUTE_MS, plan.fast, plan.slow)
        const runCreated = `${year + 1}-02-${String(runCounter).padStart(2, '0')}T12:00:00.000000+00:00`
        writeEquity(path.join(root, dir, 'equity.parquet'), run.equityTs, run.equity)
        writeOrders(path.join(root, dir, 'orders.parquet'), run.orders)
        writeFills(path.join(root, dir, 'fills.parquet'), run.orders)
        const metrics = { total_return: run.totalReturn, max_drawdown: run.maxDrawdown }
        writeFileSync(path.join(root, dir, 'metrics.json'), JSON.stringify(metrics, null, 2))
        const manifest = {
          run_id: runId,
          dataset_id: datasetId,
          strategy_id: 'sma_crossover',
          params: { fast: plan.fast, slow: plan.slow },
          seed: 42,
          slippage_fees: {},
          speed: 60,
          from: day(plan.from),
          to: day(plan.to),
          code_hash: hex32(hash32(`code:${seed}`), 0).padEnd(40, '0'),
          env_lock: null,
          calendar_version: 'NAZDAQ-v1',
          tz: 'America/New_York',
          created_at: runCreated,
        }
        writeFileSync(path.join(root, dir, 'run-manifest.json'), JSON.stringify(manifest, null, 2))
        insertRun.run({
          run_id: runId,
          dataset_id: datasetId,
          strategy_id: 'sma_crossover',
          params_json: `{"fast": ${plan.fast}, "slow": ${plan.slow}}`,
          seed: 42,
          slippage_fees_json: '{}',
          speed: 60,
          code_hash: manifest.code_hash,
          created_at: runCreated,
          status: 'DONE',
          duration_ms: 1000 + (hash32(runId) % 9000),
          metrics_path: `${dir}/metrics.json`,
          equity_path: `${dir}/equity.parquet`,
          orders_path: `${dir}/orders.parquet`,
          fills_path: `${dir}/fills.parquet`,
          run_manifest_path: `${dir}/run-manifest.json`,
        })
        insertMetrics.run(runId, metrics.total_return, metrics.max_drawdown, runCreated)
        result.runs.push({
          runId,
          symbol,
          year,
          from: day(plan.from),
          to: day(plan.to),
          equityRows: run.equity.length,
          orders: run.orders.length,
        })
        log(
          `  run ${runId} (${symbol} ${day(plan.from)}..${day(plan.to)}, SMA ${plan.fast}/${plan.slow}): ${run.equity.length.toLocaleString('en-US')} equity rows, ${run.orders.length} orders`,
        )
      }
    }
  }
  db.close()
  return result
}

function hex32(a: number, b: number): string {
  const r = seededRandom(a ^ Math.imul(b, 0x9e3779b1))
  let s = ''
  for (let i = 0; i < 32; i++) s += Math.floor(r() * 16).toString(16)
  return s
}

function minuteBars(year: number, startPrice: number, rand: () => number): MinuteBars {
  const out: MinuteBars = { t: [], o: [], h: [], l: [], c: [], v: [], n: [], vw: [] }
  let last = startPrice
  for (const d of tradingDays(year)) {
    const open = sessionOpenUtc(d)
    last = cents(last * (1 + gaussian(rand) * 0.004)) // overnight gap
    for (let m = 0; m < SESSION_MINUTES; m++) {
      const o = last
      const c = Math.max(1, cents(o * (1 + gaussian(rand) * 0.0008)))
      const h = cents(Math.max(o, c) * (1 + Math.abs(gaussian(rand)) * 0.0003))
      const l = cents(Math.min(o, c) * (1 - Math.abs(gaussian(rand)) * 0.0003))
      // U-shaped intraday volume, as real sessions have.
      const u = Math.abs(m - SESSION_MINUTES / 2) / (SESSION_MINUTES / 2)
      const v = Math.round((20_000 + 200_000 * u * u * u) * (0.5 + rand()))
      out.t.push(open + m * MINUTE_MS)
      out.o.push(o)
      out.h.push(h)
      out.l.push(l)
      out.c.push(c)
      out.v.push(v)
      out.n.push(Math.max(1, Math.round(v / 80)))
      out.vw.push((o + h + l + c) / 4)
      last = c
    }
  }
  return out
}

function dailyBars(m: MinuteBars): MinuteBars {
  const out: MinuteBars = { t: [], o: [], h: [], l: [], c: [], v: [], n: [], vw: [] }
  for (let i = 0; i < m.t.length; i++) {
    const t = Math.floor((m.t[i] as number) / DAY_MS) * DAY_MS
    const k = out.t.length - 1
    if (out.t[k] === t) {
      out.h[k] = Math.max(out.h[k] as number, m.h[i] as number)
      out.l[k] = Math.min(out.l[k] as number, m.l[i] as number)
      out.c[k] = m.c[i] as number
      out.vw[k] =
        ((out.vw[k] as number) * (out.v[k] as number) + (m.vw[i] as number) * (m.v[i] as number)) /
        ((out.v[k] as number) + (m.v[i] as number))
      out.v[k] = (out.v[k] as number) + (m.v[i] as number)
      out.n[k] = (out.n[k] as number) + (m.n[i] as number)
    } else {
      out.t.push(t)
      out.o.push(m.o[i] as number)
      out.h.push(m.h[i] as number)
      out.l.push(m.l[i] as number)
      out.c.push(m.c[i] as number)
      out.v.push(m.v[i] as number)
      out.n.push(m.n[i] as number)
      out.vw.push(m.vw[i] as number)
    }
  }
  return out
}

interface Order {
  ts: number
  side: 'BUY' | 'SELL'
  price: number
  minute: number
}

/**
 * An SMA crossover on minute closes: long one share while fast > slow. Equity is marked every minute of the
 * window, 24/7, at the last traded price — one row per minute like the real runs.
 */
function backtest(bars: MinuteBars, fromMs: number, lastMinuteMs: number, fast: number, slow: number) {
  const closeAt = new Map<number, number>()
  for (let i = 0; i < bars.t.length; i++) closeAt.set(bars.t[i] as number, bars.c[i] as number)
  const equityTs: number[] = []
  const equity: number[] = []
  const orders: Order[] = []
  const window: number[] = []
  let cash = 100_000
  let position = 0
  let lastPrice: number | undefined
  let minute = 0
  let peak = cash
  let maxDrawdown = 0
  for (let t = fromMs; t <= lastMinuteMs; t += MINUTE_MS, minute++) {
    const close = closeAt.get(t)
    if (close !== undefined) {
      lastPrice = close
      window.push(close)
      if (window.length > slow) window.shift()
      if (window.length === slow) {
        const avg = (n: number) => window.slice(-n).reduce((a, b) => a + b, 0) / n
        const want = avg(fast) > avg(slow) ? 1 : 0
        if (want !== position) {
          const side = want > position ? 'BUY' : 'SELL'
          cash += side === 'BUY' ? -close : close
          position = want
          orders.push({ ts: t, side, price: close, minute })
        }
      }
    }
    const value = cash + position * (lastPrice ?? 0)
    equityTs.push(t)
    equity.push(value)
    if (value > peak) peak = value
    maxDrawdown = Math.max(maxDrawdown, (peak - value) / peak)
  }
  const first = equity[0] ?? 100_000
  return { equityTs, equity, orders, totalReturn: (equity.at(-1) ?? first) / first - 1, maxDrawdown }
}

const ts = (name: string, unit: 'NANOS' | 'MICROS') => ({
  name,
  type: 'INT64' as const,
  repetition_type: 'OPTIONAL' as const,
  logical_type: { type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit },
})
const col = (name: string, type: 'DOUBLE' | 'INT64' | 'BOOLEAN') => ({ name, type, repetition_type: 'OPTIONAL' as const })
const str = (name: string) => ({
  name,
  type: 'BYTE_ARRAY' as const,
  converted_type: 'UTF8' as const,
  logical_type: { type: 'STRING' as const },
  repetition_type: 'OPTIONAL' as const,
})

function write(file: string, columns: { schema: object; data: unknown[] }[]): number {
  const buf = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: (c.schema as { name: string }).name, data: c.data as never })),
    schema: [{ name: 'root', num_children: columns.length }, ...columns.map((c) => c.schema)] as never,
  })
  writeFileSync(file, new Uint8Array(buf))
  return buf.byteLength
}

function writeBars(file: string, symbol: string, b: MinuteBars, tf: '1Min' | '1Day'): number {
  const n = b.t.length
  const fill = <T>(v: T) => new Array<T>(n).fill(v)
  return write(file, [
    { schema: str('symbol'), data: fill(symbol) },
    { schema: ts('t', 'NANOS'), data: b.t.map((t) => BigInt(t) * 1_000_000n) },
    { schema: col('o', 'DOUBLE'), data: b.o },
    { schema: col('h', 'DOUBLE'), data: b.h },
    { schema: col('l', 'DOUBLE'), data: b.l },
    { schema: col('c', 'DOUBLE'), data: b.c },
    { schema: col('v', 'INT64'), data: b.v.map(BigInt) },
    { schema: col('n', 'INT64'), data: b.n.map(BigInt) },
    { schema: col('vw', 'DOUBLE'), data: b.vw },
    { schema: str('tf'), data: fill(tf) },
    { schema: str('session'), data: fill('regular') },
    { schema: col('rth', 'BOOLEAN'), data: fill(true) },
    { schema: str('adj'), data: fill('unadjusted') },
    { schema: str('provider'), data: fill(tf === '1Min' ? 'databento_trades' : 'unknown') },
    { schema: col('corr', 'BOOLEAN'), data: fill(false) },
    { schema: str('bar_id'), data: b.t.map((t) => `${symbol}-${iso(t)}-${tf}`) },
  ])
}

function writeEquity(file: string, tsMs: number[], values: number[]): void {
  write(file, [
    { schema: ts('ts_utc', 'MICROS'), data: tsMs.map((t) => BigInt(t) * 1000n) },
    { schema: col('value', 'DOUBLE'), data: values },
  ])
}

function writeOrders(file: string, orders: Order[]): void {
  write(file, [
    { schema: ts('ts_utc', 'MICROS'), data: orders.map((o) => BigInt(o.ts) * 1000n) },
    { schema: str('side'), data: orders.map((o) => o.side) },
    { schema: col('qty', 'INT64'), data: orders.map(() => 1n) },
    { schema: col('price', 'DOUBLE'), data: orders.map((o) => o.price) },
    { schema: str('order_id'), data: orders.map((o) => `o${o.minute}`) },
    { schema: str('type'), data: orders.map(() => 'MKT') },
    { schema: str('time_in_force'), data: orders.map(() => 'IOC') },
  ])
}

function writeFills(file: string, orders: Order[]): void {
  write(file, [
    { schema: ts('ts_utc', 'MICROS'), data: orders.map((o) => BigInt(o.ts) * 1000n) },
    { schema: str('order_id'), data: orders.map((o) => `o${o.minute}`) },
    { schema: col('qty', 'INT64'), data: orders.map(() => 1n) },
    { schema: col('price', 'DOUBLE'), data: orders.map((o) => o.price) },
    { schema: str('fill_id'), data: orders.map((_o, i) => `f${i}`) },
    { schema: col('slippage', 'DOUBLE'), data: orders.map(() => 0) },
    { schema: col('fee', 'DOUBLE'), data: orders.map(() => 0) },
  ])
}

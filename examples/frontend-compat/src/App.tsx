import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { getRunDetail, listBacktests, type RunSummary } from './services/api'
import { DailyResponseSchema, fetchDaily, fetchHour, fetchMinuteDecimated } from './services/bars'
import { useRunPlayback } from './services/ws'

/**
 * A small slice of the Hewston frontend on its own services, after the migration: a run list (with the
 * empty strategy filter the real page sends), a run's detail, its daily, hourly and decimated bars, and a
 * player. Every number it shows has a `data-testid` for the Chromium test.
 */
export function App() {
  const [symbol] = useState('AAPL')
  // The filter form leaves strategy_id empty: it must not filter the list down to nothing.
  const runs = useQuery({ queryKey: ['runs', symbol], queryFn: () => listBacktests({ symbol, strategy_id: '' }) })
  const [selected, setSelected] = useState<string | null>(null)
  const first = runs.data?.items[0]
  useEffect(() => {
    if (!selected && first) setSelected(first.run_id)
  }, [selected, first])

  if (runs.isError) return <p data-testid="error">{String(runs.error)}</p>
  if (!runs.data) return <p>Loading runs…</p>
  if (runs.data.items.length === 0) return <p data-testid="empty">No runs yet</p>
  return (
    <main>
      <h1>Runs of {symbol}</h1>
      <p data-testid="run-count">{runs.data.items.length}</p>
      <ul>
        {runs.data.items.map((r: RunSummary) => (
          <li key={r.run_id}>
            <button type="button" onClick={() => setSelected(r.run_id)}>
              {r.run_id} {r.strategy_id} {r.status}
            </button>
          </li>
        ))}
      </ul>
      {selected && <Run runId={selected} />}
    </main>
  )
}

function Run({ runId }: { runId: string }) {
  const detail = useQuery({ queryKey: ['run', runId], queryFn: () => getRunDetail(runId) })
  const from = detail.data?.run_from?.slice(0, 10)
  const to = detail.data?.run_to?.slice(0, 10)
  const range = from && to ? { from, to } : undefined
  const daily = useQuery({
    queryKey: ['daily', runId, range],
    enabled: !!range,
    // The app's own schema still validates the answer, as the frontend's bars.ts did.
    queryFn: async () => DailyResponseSchema.parse(await fetchDaily('AAPL', range?.from, range?.to)),
  })
  const hour = useQuery({
    queryKey: ['hour', runId, range],
    enabled: !!range,
    queryFn: () => fetchHour('AAPL', range?.from ?? '', range?.to ?? '', true),
  })
  const decimated = useQuery({
    queryKey: ['decimated', runId, range],
    enabled: !!range,
    queryFn: () => fetchMinuteDecimated('AAPL', range?.from ?? '', range?.to ?? '', 500),
  })
  if (!detail.data) return <p>Loading run…</p>
  return (
    <section>
      <h2 data-testid="run-id">{detail.data.run_id}</h2>
      <p>
        {detail.data.strategy_id} · {detail.data.status} · <span data-testid="run-range">{`${from} → ${to}`}</span>
      </p>
      <p>
        daily bars <span data-testid="daily-count">{daily.data?.bars.length ?? '…'}</span>, hourly bars{' '}
        <span data-testid="hour-count">{hour.data?.bars.length ?? '…'}</span>, decimated bars{' '}
        <span data-testid="decimated-count">{decimated.data?.bars.length ?? '…'}</span>
      </p>
      <Player runId={runId} />
    </section>
  )
}

function Player({ runId }: { runId: string }) {
  const { state, subscribe, onPlay, onPause, onSpeedChange } = useRunPlayback(runId)
  const [frames, setFrames] = useState(0)
  const [orders, setOrders] = useState(0)
  const [lastTs, setLastTs] = useState('')
  useEffect(
    () =>
      subscribe((frame) => {
        setFrames((n) => n + 1)
        setOrders((n) => n + (frame.orders?.length ?? 0))
        setLastTs(frame.ts)
      }),
    [subscribe],
  )
  return (
    <section>
      <p>
        transport <span data-testid="status">{state.status}</span>, {state.playing ? 'playing' : 'paused'} at{' '}
        <span data-testid="speed">{state.speed}</span>× · frames <span data-testid="frames">{frames}</span> (dropped{' '}
        <span data-testid="dropped">{state.dropped}</span>) · orders <span data-testid="orders">{orders}</span> · at{' '}
        <span data-testid="position">{lastTs}</span>
      </p>
      <button type="button" data-testid="play" onClick={state.playing ? onPause : onPlay}>
        {state.playing ? 'Pause' : 'Play'}
      </button>
      <button type="button" data-testid="faster" onClick={() => onSpeedChange(state.speed * 100)}>
        Faster
      </button>
    </section>
  )
}

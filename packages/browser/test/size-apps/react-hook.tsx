// A consumer React app whose player uses `useRunPlayback` (React itself is the app's, left out of the count).
import { useRunPlayback } from '@hewston-bff/browser/react'
import { createRoot } from 'react-dom/client'

function Player({ runId }: { runId: string }) {
  const { state, onPlay, onPause, onSpeedChange, onSeek, subscribe } = useRunPlayback(runId)
  subscribe((frame) => console.log(frame.ts))
  return (
    <div>
      <span>{state.status}</span>
      <button type="button" onClick={state.playing ? onPause : onPlay}>
        {state.playing ? 'pause' : 'play'}
      </button>
      <button type="button" onClick={() => onSpeedChange(state.speed * 2)}>
        faster
      </button>
      <button type="button" onClick={() => onSeek('2024-12-02T14:30:00Z')}>
        seek
      </button>
      <span>{state.dropped}</span>
    </div>
  )
}

createRoot(document.body).render(<Player runId="r" />)

import { describe, expect, it } from 'vitest'
import { heapLimitAdvice, heapLimitMb, recommendedNodeOptions } from './heap.js'

const MB = 2 ** 20

describe('the V8 heap an instance needs', () => {
  it('is its memory bounds plus headroom for what is in flight', () => {
    expect(heapLimitMb({ cacheMaxMb: 128, streamPoolMb: 256 })).toBe(640)
    expect(recommendedNodeOptions({ cacheMaxMb: 256, streamPoolMb: 512 })).toBe('--max-old-space-size=1024')
  })

  it("says nothing when the process's limit fits the bounds, and warns when it is far above or below them", () => {
    const bounds = { cacheMaxMb: 128, streamPoolMb: 256 }
    // --max-old-space-size=640 gives a heap_size_limit of old space + young generation (~690 MB).
    expect(heapLimitAdvice(bounds, 690 * MB)).toBeUndefined()
    expect(heapLimitAdvice(bounds, 4144 * MB)).toMatchObject({ limitMb: 4144, recommended: '--max-old-space-size=640' })
    expect(heapLimitAdvice(bounds, 4144 * MB)?.message).toMatch(/far above .* NODE_OPTIONS="--max-old-space-size=640"/)
    expect(heapLimitAdvice(bounds, 300 * MB)?.message).toMatch(/below this instance's memory bounds/)
  })
})

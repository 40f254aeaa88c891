import type { ChartResponse, EnrichedRunList, PlaybackMessage, RunCompleteResponse } from '@hewston-bff/core'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import type {
  ChartResponseSchema,
  EnrichedRunListSchema,
  PlaybackMessageSchema,
  RunCompleteResponseSchema,
} from '../src/openapi/answers.js'

/** true when each type is assignable to the other: the schema describes exactly what the code builds. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

describe('the schemas of the BFF answers', () => {
  it('describe exactly the types the code builds its answers with (checked by tsc)', () => {
    const checks: [
      Same<z.infer<typeof ChartResponseSchema>, ChartResponse>,
      Same<z.infer<typeof RunCompleteResponseSchema>, RunCompleteResponse>,
      Same<z.infer<typeof EnrichedRunListSchema>, EnrichedRunList>,
    ] = [true, true, true]
    // Every message the stream sends is one the schema allows (the reverse is looser: echoes keep extra keys).
    const sendable: [PlaybackMessage] extends [z.infer<typeof PlaybackMessageSchema>] ? true : false = true
    expect([...checks, sendable]).toEqual([true, true, true, true])
  })
})

/**
 * Runs `work` when a slot is free: a host passes a shared limiter (cockatiel's bulkhead, say) so that
 * upstream-heavy work — chunk fetches, run-stream reads — stays bounded across all requests, which bounds
 * both the load on the upstream and the memory that work holds while in flight.
 */
export type Slot = <T>(work: () => Promise<T>) => Promise<T>

/** No limit: runs `work` at once. */
export const unlimited: Slot = (work) => work()

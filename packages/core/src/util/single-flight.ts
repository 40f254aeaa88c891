/**
 * Collapses concurrent calls with the same key into one: while a call for `key` is in flight, later
 * callers get the same promise. Per instance; cross-instance collapsing is the cache's lock.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>()

  do(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key)
    if (running) return running
    const p = fn().finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, p)
    return p
  }

  get size(): number {
    return this.inFlight.size
  }
}

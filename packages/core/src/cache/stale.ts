/**
 * How long cached data stays usable after it stops being fresh, and when to refresh it early.
 *
 * - `staleIfErrorMs` (`--stale-if-error-s`): while the upstream is out, data up to this long past its
 *   freshness is still served — marked stale — instead of an error (0: never).
 * - `revalidateFraction`: an entry in the last part of its fresh life is refreshed in the background
 *   while still being served (stale-while-revalidate), so a popular chart never waits for its refetch.
 */
export interface StalePolicy {
  staleIfErrorMs: number
  revalidateFraction: number
}

export const DEFAULT_STALE_POLICY: StalePolicy = { staleIfErrorMs: 86_400_000, revalidateFraction: 0.1 }

/** A cached value with its timing: stored at `at`, fresh until `fresh` (epoch ms). */
export interface Stamped<T> {
  at: number
  fresh: number
  value: T
}

export const stamp = <T>(value: T, now: number, freshMs: number): Stamped<T> => ({ at: now, fresh: now + freshMs, value })

/** How long the Cache port keeps an entry: its fresh life plus the stale-if-error allowance. */
export const storeTtl = (policy: StalePolicy, freshMs: number): number => freshMs + policy.staleIfErrorMs

export const isFresh = (e: Stamped<unknown>, now: number): boolean => now < e.fresh

/** Whether an entry may still stand in for the upstream while it is out. */
export const usableWhenOut = (policy: StalePolicy, e: Stamped<unknown>, now: number): boolean => now - e.fresh <= policy.staleIfErrorMs

/** Whether a fresh entry is in the last `revalidateFraction` of its fresh life. */
export const dueForRevalidation = (policy: StalePolicy, e: Stamped<unknown>, now: number): boolean =>
  isFresh(e, now) && e.fresh - now < (e.fresh - e.at) * policy.revalidateFraction

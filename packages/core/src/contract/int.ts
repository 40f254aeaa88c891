import * as z from 'zod/mini'

/**
 * An integer schema, typed as a plain `ZodMiniType<number>`: zod ≥ 4.2 infers `ZodMiniInt` and 4.1 a
 * non-generic `ZodMiniNumberFormat`, so naming either would break the published types under the other.
 * This way they compile against whichever zod ≥ 4.1 the app has.
 */
export const int = (): z.ZodMiniType<number, number> => z.int()

import * as z from 'zod/mini'

/**
 * A schema with a description for its JSON Schema (the BFF's OpenAPI document): the registry call that
 * classic zod's `.describe()` makes, spelled for `zod/mini` (whose own `z.describe` needs zod ≥ 4.2; the
 * peer range starts at 4.1).
 */
export function described<S extends z.ZodMiniType>(schema: S, description: string): S {
  z.globalRegistry.add(schema as z.ZodMiniType, { description })
  return schema
}

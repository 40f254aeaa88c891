import { sha256Hex } from '../util/hash.js'

/**
 * The cache scope of a caller: `public` without credentials, otherwise a hash of the `Authorization` and
 * `Cookie` headers (never the secret itself), so one user's cached data is never served to another.
 */
export async function credentialScope(headers: { authorization?: string | null; cookie?: string | null }): Promise<string> {
  const auth = headers.authorization ?? ''
  const cookie = headers.cookie ?? ''
  if (!auth && !cookie) return 'public'
  return `u-${(await sha256Hex(`${auth}\n${cookie}`)).slice(0, 32)}`
}

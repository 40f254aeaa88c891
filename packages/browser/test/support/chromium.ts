import { existsSync } from 'node:fs'
import { type BrowserContext, chromium } from 'playwright-core'

/** Debian's Chromium (`apt-get install -y chromium`), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Whether the browser tests can run here; says so when not (and fails under CI=true, where .ci/run installs it). */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs Debian's chromium`)
  console.warn(`\n  NOTICE: skipping browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium).\n`)
  return false
}

/** A headless Chromium with a fresh profile in `profileDir`, started the way the project's guide says. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

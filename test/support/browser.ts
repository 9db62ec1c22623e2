import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MONAMI_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-output', 'screenshots');

/** Whether browser tests can run; with MONAMI_REQUIRE_SERVICES=1 a missing Chromium is an error. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.MONAMI_REQUIRE_SERVICES === '1') throw new Error(`Chromium is required but ${CHROMIUM} does not exist (apt-get install chromium)`);
  return false;
}

/**
 * Debian's Chromium, headless, kept off the network beyond this machine. Playwright gives
 * every launch a fresh temporary profile of its own.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

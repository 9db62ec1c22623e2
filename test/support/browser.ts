import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MONAMI_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');

/** Whether browser tests can run; with MONAMI_REQUIRE_SERVICES=1 a missing Chromium is an error. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.MONAMI_REQUIRE_SERVICES === '1') throw new Error(`Chromium is required but ${CHROMIUM} does not exist (apt-get install chromium)`);
  return false;
}

/**
 * Debian's Chromium, headless, kept off the network beyond this machine. Playwright gives
 * every launch a fresh temporary profile of its own. WebRTC may use the loopback
 * interface, and cameras and microphones are Chromium's fake devices (a test pattern and
 * a tone), granted without a prompt.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
}

let built: Promise<string> | null = null;

/**
 * Builds the web client from the current sources into a temporary folder (once per test
 * process), so the browser tests never run against a stale build in dist/web.
 */
export function buildWebClient(): Promise<string> {
  built ??= (async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-web-'));
    process.once('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(ROOT, 'web', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT });
    return outDir;
  })();
  return built;
}

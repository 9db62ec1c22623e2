import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFloor } from './floor.js';

// The floor as its own process, as the benchmark runs it: prints {"port":N} once listening.
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) || 0 : 0;
};
// Durable: its file goes where monami's bench server keeps its database, on the same disk.
const durableDir = process.argv.includes('--durable') ? fs.mkdtempSync(path.join(os.tmpdir(), 'monami-floor-')) : null;
const floor = await startFloor(arg('--port'), { dropEvery: arg('--drop-every'), duplicateEvery: arg('--duplicate-every'), durableDir });
process.stdout.write(`${JSON.stringify({ port: floor.port })}\n`);
process.on('SIGTERM', () =>
  void floor.close().then(() => {
    if (durableDir) fs.rmSync(durableDir, { recursive: true, force: true });
    process.exit(0);
  }),
);

import { startFloor } from './floor.js';

// The floor as its own process, as the benchmark runs it: prints {"port":N} once listening.
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) || 0 : 0;
};
const floor = await startFloor(arg('--port'), { dropEvery: arg('--drop-every'), duplicateEvery: arg('--duplicate-every') });
process.stdout.write(`${JSON.stringify({ port: floor.port })}\n`);
process.on('SIGTERM', () => void floor.close().then(() => process.exit(0)));

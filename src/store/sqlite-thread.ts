import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Built, the worker is a .js file next to this one; run from the sources (tests, `npm run dev`), tsx loads the .ts. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Starts one of the store's SQLite threads (`name` is its module here) on the database file. */
export function startSqliteThread(name: string, file: string): Worker {
  const entry = new URL(`./${name}.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);
  if (!FROM_SOURCE) return new Worker(entry, { workerData: { file } });
  // tsx's hooks are registered by the thread itself: execArgv's --import does not take on
  // Node 20. Its ES module API is the one that registers correctly from there.
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const api = path.join(path.dirname(manifest), require(manifest).exports['./esm/api'].import.default);
  const boot = `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: { file } });
}

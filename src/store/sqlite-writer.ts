import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LogItem, LogResult } from './sqlite-message-log.js';

export type WriterRequest =
  | { id: number; op: 'append'; items: readonly LogItem[] }
  | { id: number; op: 'recall'; messageId: number; at: number; recipients: readonly string[] }
  | { id: number; op: 'marks'; marks: readonly (readonly [string, number])[] }
  | { id: number; op: 'close' };

export type WriterReply = { id: number; result: unknown } | { id: number; error: { message: string; code?: string | undefined } };

/** Distributive Omit, so each request kind keeps its own fields. */
type Request = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

/** Built, the worker is a .js file next to this one; run from the sources (tests, `npm run dev`), tsx loads the .ts. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

function startWorker(file: string): Worker {
  const entry = new URL(`./sqlite-writer-worker.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);
  if (!FROM_SOURCE) return new Worker(entry, { workerData: { file } });
  // tsx's hooks are registered by the thread itself: execArgv's --import does not take on
  // Node 20. Its ES module API is the one that registers correctly from there.
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const api = path.join(path.dirname(manifest), require(manifest).exports['./esm/api'].import.default);
  const boot = `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: { file } });
}

/**
 * The SQLite message log on its own thread, with its own connection to the file. A commit
 * waits for the disk (a few milliseconds, longer for large batches); on the event loop
 * that wait stalled every socket. The caller keeps every other statement away while a
 * request runs (it holds the store's connection), so the two connections never contend
 * for SQLite's write lock.
 */
export class SqliteWriter {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  private nextId = 0;

  constructor(private readonly file: string) {}

  appendBatch(items: readonly LogItem[]): Promise<LogResult[]> {
    return this.request({ op: 'append', items }) as Promise<LogResult[]>;
  }

  recall(messageId: number, at: number, recipients: readonly string[]): Promise<Map<string, number>> {
    return this.request({ op: 'recall', messageId, at, recipients }) as Promise<Map<string, number>>;
  }

  markDelivered(marks: readonly (readonly [string, number])[]): Promise<void> {
    return this.request({ op: 'marks', marks }) as Promise<void>;
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    const worker = this.worker;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await this.request({ op: 'close' }).catch(() => {});
    await exited;
  }

  private request(request: Request): Promise<unknown> {
    const worker = (this.worker ??= this.start());
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  private start(): Worker {
    const worker = startWorker(this.file);
    worker.on('message', (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (!waiter) return;
      if ('error' in reply) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiter.resolve(reply.result);
    });
    // A thread that died takes its requests with it; the next request starts a new one,
    // which reads the inbox counters afresh.
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (${code})`)));
    return worker;
  }
}

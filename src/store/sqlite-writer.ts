import type { Worker } from 'node:worker_threads';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import type { LogItem, LogResult } from './sqlite-message-log.js';
import { startSqliteThread } from './sqlite-thread.js';

export type WriterRequest =
  | { id: number; op: 'append'; items: readonly LogItem[] }
  | { id: number; op: 'recall'; messageId: number; at: number; recipients: readonly string[] }
  | { id: number; op: 'marks'; marks: readonly (readonly [string, number])[] }
  | { id: number; op: 'close' };

export type WriterReply = { id: number; result: unknown } | { id: number; error: { message: string; code?: string | undefined } };

/** Distributive Omit, so each request kind keeps its own fields. */
type Request = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

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
  private readonly checkpointer: SqliteCheckpointer;

  constructor(private readonly file: string) {
    this.checkpointer = new SqliteCheckpointer(file);
  }

  /** Starts the thread now, so that the first message does not wait for it to load. */
  open(): void {
    this.worker ??= this.start();
    this.checkpointer.open();
  }

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
    await this.checkpointer.close();
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
    const worker = startSqliteThread('sqlite-writer-worker', this.file);
    worker.on('message', (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (!waiter) return;
      this.checkpointer.soon();
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

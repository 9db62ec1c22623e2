import type { Worker } from 'node:worker_threads';
import { startSqliteThread } from './sqlite-thread.js';

/**
 * How long after a commit the WAL is checkpointed. One checkpoint then covers the commits
 * of that time, and a page several of them dirtied is copied back once.
 */
const CHECKPOINT_DELAY_MS = 100;
/** Other connections' commits (accounts, relations, tokens) are covered by a sweep this often. */
const SWEEP_MS = 1000;

/** Runs the WAL checkpoints on their own thread (sqlite-checkpointer-worker.ts), one at a time. */
export class SqliteCheckpointer {
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Commits happened while a checkpoint ran: another one is due after it. */
  private dirty = false;
  private closed = false;
  private sweep: NodeJS.Timeout | null = null;

  constructor(private readonly file: string) {}

  /** Starts the periodic sweep. */
  open(): void {
    this.sweep ??= setInterval(() => this.soon(), SWEEP_MS).unref();
  }

  /** Told after each commit of the writer. */
  soon(): void {
    if (this.closed) return;
    if (this.running) this.dirty = true;
    else this.timer ??= setTimeout(() => this.run(), CHECKPOINT_DELAY_MS).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ op: 'close' });
    await exited;
  }

  private run(): void {
    this.timer = null;
    this.running = true;
    (this.worker ??= this.start()).postMessage({ op: 'checkpoint' });
  }

  private done(): void {
    this.running = false;
    if (this.dirty) {
      this.dirty = false;
      this.soon();
    }
  }

  private start(): Worker {
    const worker = startSqliteThread('sqlite-checkpointer-worker', this.file);
    // A thread that died is started again for the next checkpoint.
    worker.on('message', () => this.done());
    const gone = () => {
      if (this.worker === worker) this.worker = null;
      this.done();
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    worker.unref();
    return worker;
  }
}

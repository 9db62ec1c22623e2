import type { FastifyBaseLogger } from 'fastify';
import type { FederationStore, OutboxEntry } from '../store/federation-store.js';
import type { Frame, LinkPool } from './link.js';

export interface RetryPolicy {
  /** First retry after about this long; each further failure doubles it… */
  baseMs: number;
  /** …up to this. */
  maxMs: number;
}

export interface OutboxHooks {
  /**
   * Applies the remote's answer here (e.g. a befriending accepted over there). `awaited`
   * says whether someone is waiting for it (who then tells the user); otherwise the user is
   * told later. Throwing leaves the frame queued, to be sent and answered again.
   */
  settle(entry: OutboxEntry, answer: Frame, awaited: boolean): Promise<void>;
  onFailure(destination: string, err: Error, retryInMs: number): void;
  onDelivered(destination: string): void;
}

/** Retry delay after `failures` consecutive failures: exponential, capped, with jitter (50–100%). */
export function retryDelay(failures: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

const BATCH = 100;

interface Lane {
  running: boolean;
  /** Set while running when new work arrived, so the loop reads again. */
  again: boolean;
  failures: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Frames for remote servers, written to the database before anyone is told they were
 * sent, then delivered in order per destination over the server's link and deleted once
 * answered. A failure retries the destination from its oldest frame after a backoff; the
 * remote answers a frame it has already seen with its first answer, so a frame sent
 * twice acts once.
 */
export class Outbox {
  private readonly lanes = new Map<string, Lane>();
  private readonly waiters = new Map<number, (answer: Frame) => void>();
  private stopped = false;

  constructor(
    private readonly store: FederationStore,
    private readonly links: LinkPool,
    private readonly hooks: OutboxHooks,
    private readonly retry: RetryPolicy,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Resumes delivery of whatever the database holds (after a restart). */
  async start(): Promise<void> {
    for (const destination of (await this.store.outboxDepths()).keys()) this.wake(destination);
  }

  async enqueue(destination: string, actorId: string, frame: Frame): Promise<number> {
    const id = await this.store.enqueue(destination, actorId, frame);
    this.wake(destination);
    return id;
  }

  /** Enqueues, then waits up to `ms` for the remote's answer: null when it has not come. */
  async enqueueAndWait(destination: string, actorId: string, frame: Frame, ms: number): Promise<Frame | null> {
    const id = await this.store.enqueue(destination, actorId, frame);
    const answered = new Promise<Frame | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(null);
      }, ms);
      this.waiters.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    this.wake(destination);
    return answered;
  }

  /** Sends now; with `fresh`, forgets earlier failures (the remote just showed it is back). */
  wake(destination: string, fresh = false): void {
    if (this.stopped) return;
    let lane = this.lanes.get(destination);
    if (!lane) {
      lane = { running: false, again: false, failures: 0, timer: null };
      this.lanes.set(destination, lane);
    }
    if (fresh) lane.failures = 0;
    if (lane.timer && (fresh || lane.failures === 0)) {
      clearTimeout(lane.timer);
      lane.timer = null;
    }
    if (lane.timer) return;
    if (lane.running) {
      lane.again = true;
      return;
    }
    void this.drain(destination, lane);
  }

  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
  }

  private async drain(destination: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      for (;;) {
        lane.again = false;
        const entries = await this.store.pending(destination, 0, BATCH);
        if (entries.length === 0 && !lane.again) break;
        if (this.stopped) break;
        await this.deliver(destination, entries);
        lane.failures = 0;
      }
    } catch (err) {
      lane.failures++;
      const delay = retryDelay(lane.failures, this.retry);
      this.hooks.onFailure(destination, err as Error, delay);
      if (!this.stopped) {
        lane.timer = setTimeout(() => {
          lane.timer = null;
          this.wake(destination);
        }, delay);
        lane.timer.unref();
      }
    } finally {
      lane.running = false;
    }
  }

  /** Sends a batch back to back and settles the answers in order. */
  private async deliver(destination: string, entries: OutboxEntry[]): Promise<void> {
    const link = await this.links.get(destination);
    const answers = entries.map((e) => link.request(e.frame));
    // Whatever fails after the first failure is sent again; keep rejections from going unheard.
    for (const a of answers) a.catch(() => undefined);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const answer = await answers[i]!;
      const waiter = this.waiters.get(entry.id);
      await this.hooks.settle(entry, answer, !!waiter);
      await this.store.delivered(entry.id);
      if (waiter) {
        this.waiters.delete(entry.id);
        waiter(answer);
      }
      this.hooks.onDelivered(destination);
    }
    this.log.debug({ destination, frames: entries.length }, 'federation frames delivered');
  }
}

import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { FederationStore, OutboxEntry } from '../store/federation-store.js';
import type { Frame, LinkPool } from './link.js';

export interface RetryPolicy {
  /** First retry after about this long; each further failure doubles it… */
  baseMs: number;
  /** …up to this. */
  maxMs: number;
  /** How long a node keeps a destination to itself (renewed with every batch): the failover time when it dies. */
  leaseMs: number;
}

export interface OutboxHooks {
  /** Whether the destination may be contacted now (operators block servers). */
  allows(destination: string): Promise<boolean>;
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
export function retryDelay(failures: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

const BATCH = 100;
/** How often every node looks for destinations with waiting frames (queued by a node that died, say). */
const SCAN_MS = 5_000;

/** The remote is busy with a frame (another of our nodes sent it too): try again later. */
class RemoteBusy extends Error {}

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
  private scanner: NodeJS.Timeout | null = null;
  /** Names this node in leases. */
  private readonly holder = randomUUID();

  constructor(
    private readonly store: FederationStore,
    private readonly links: LinkPool,
    private readonly hooks: OutboxHooks,
    private readonly retry: RetryPolicy,
    private readonly log: FastifyBaseLogger,
    /** Whether other nodes may share the database (PostgreSQL): then destinations are leased. */
    private readonly shared: boolean,
  ) {}

  /** Resumes delivery of whatever the database holds (after a restart), and keeps looking. */
  async start(): Promise<void> {
    await this.scan();
    this.scanner = setInterval(() => void this.scan().catch((err) => this.log.warn({ err: (err as Error).message }, 'federation outbox scan failed')), SCAN_MS);
    this.scanner.unref();
  }

  private async scan(): Promise<void> {
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
    if (this.scanner) clearInterval(this.scanner);
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
  }

  /** Tries again after `delay`, unless woken sooner. */
  private later(destination: string, lane: Lane, delay: number): void {
    if (this.stopped) return;
    lane.timer = setTimeout(() => {
      lane.timer = null;
      this.wake(destination);
    }, delay);
    lane.timer.unref();
  }

  private async drain(destination: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      for (;;) {
        lane.again = false;
        if (!(await this.hooks.allows(destination))) {
          // Blocked: frames wait (visible in the outbox depth) until the block is lifted.
          this.later(destination, lane, this.retry.maxMs);
          break;
        }
        // One node at a time delivers to a destination, so the order holds on several nodes.
        if (this.shared && !(await this.store.lease(destination, this.holder, Date.now() + this.retry.leaseMs))) {
          this.later(destination, lane, this.retry.leaseMs);
          break;
        }
        const entries = await this.store.pending(destination, 0, BATCH);
        if (entries.length === 0 && !lane.again) {
          if (this.shared) await this.store.releaseLease(destination, this.holder);
          break;
        }
        if (this.stopped) break;
        await this.deliver(destination, entries);
        lane.failures = 0;
      }
    } catch (err) {
      lane.failures++;
      const delay = retryDelay(lane.failures, this.retry);
      this.hooks.onFailure(destination, err as Error, delay);
      this.later(destination, lane, delay);
    } finally {
      lane.running = false;
      // Work that arrived after the last read (while the lease was being released, say).
      if (lane.again && !lane.timer && !this.stopped) void this.drain(destination, lane);
    }
  }

  /** Sends a batch back to back and settles the answers in order. */
  private async deliver(destination: string, entries: OutboxEntry[]): Promise<void> {
    const link = await this.links.get(destination);
    const answers = entries.map((e) => link.request(e.frame));
    // Whatever fails after the first failure is sent again; keep rejections from going unheard.
    for (const a of answers) a.catch(() => undefined);
    let leasedAt = Date.now();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      // A slow batch keeps its lease: renewed halfway through, so no other node starts on it.
      if (this.shared && Date.now() - leasedAt > this.retry.leaseMs / 2) {
        if (!(await this.store.lease(destination, this.holder, Date.now() + this.retry.leaseMs))) throw new Error(`lost the lease of ${destination}`);
        leasedAt = Date.now();
      }
      const answer = await answers[i]!;
      if (String(answer.statusCode) === '503') throw new RemoteBusy(`${destination} is busy with frame ${entry.id}`);
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

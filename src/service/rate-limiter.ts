import type { Bus } from '../bus/bus.js';

/**
 * Counts events per key in fixed windows. Used to slow down password guessing per account
 * and per client address. Bounded: keys whose window has passed are swept regularly.
 */
export class WindowCounter {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(windowMs, 60_000));
    this.sweeper.unref();
  }

  /** True while the key has used up its allowance in the current window. */
  exhausted(key: string): boolean {
    const entry = this.counts.get(key);
    return !!entry && entry.resetAt > this.now() && entry.count >= this.limit;
  }

  add(key: string): void {
    const now = this.now();
    const entry = this.counts.get(key);
    if (!entry || entry.resetAt <= now) this.counts.set(key, { count: 1, resetAt: now + this.windowMs });
    else entry.count++;
  }

  reset(key: string): void {
    this.counts.delete(key);
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.counts) if (entry.resetAt <= now) this.counts.delete(key);
  }
}

/**
 * A counter whose additions and resets are also made on every other node of the deployment
 * (through the bus), so a limit holds however a client spreads its attempts over nodes,
 * while checking it stays a local, synchronous lookup.
 */
export class SharedWindowCounter extends WindowCounter {
  private readonly topic: string;

  constructor(limit: number, windowMs: number, name: string, private readonly bus: Bus) {
    super(limit, windowMs);
    this.topic = `rate:${name}`;
    bus.onClusterMessage(this.topic, (payload) => {
      const { key, reset } = payload as { key: string; reset?: boolean };
      if (typeof key !== 'string') return;
      if (reset) super.reset(key);
      else super.add(key);
    });
  }

  override add(key: string): void {
    super.add(key);
    void this.bus.broadcast(this.topic, { key });
  }

  override reset(key: string): void {
    super.reset(key);
    void this.bus.broadcast(this.topic, { key, reset: true });
  }
}

export interface LoginLimits {
  /** Wrong passwords per account per window before the account refuses attempts. */
  failuresPerAccount: number;
  /** Failed logins (password or token) per client address per window. */
  failuresPerAddress: number;
  /** Password logins per client address per window, successful or not (hashing is costly). */
  attemptsPerAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  failuresPerAccount: 10,
  failuresPerAddress: 100,
  attemptsPerAddress: 600,
  windowMs: 15 * 60_000,
};

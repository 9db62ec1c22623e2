/**
 * Counts what each receiver got from each sender. Every payload carries its sender and a
 * per-sender sequence number, so a relay that drops, repeats or reorders is caught:
 * lost = expected − unique deliveries; a repeat is a duplicate; a number lower than one
 * already seen on the same stream is out of order.
 */
export class Tally {
  private readonly streams = new Map<string, { seen: Set<number>; max: number }>();
  delivered = 0;
  duplicated = 0;
  outOfOrder = 0;

  /** One delivery of message `seq` from `sender` to `receiver`. */
  record(sender: number, seq: number, receiver: number): void {
    const key = `${sender}>${receiver}`;
    let stream = this.streams.get(key);
    if (!stream) {
      stream = { seen: new Set(), max: -1 };
      this.streams.set(key, stream);
    }
    if (stream.seen.has(seq)) {
      this.duplicated++;
      return;
    }
    stream.seen.add(seq);
    this.delivered++;
    if (seq < stream.max) this.outOfOrder++;
    else stream.max = seq;
  }

  /** Merges another tally (from another driver) whose streams are disjoint from this one's. */
  absorb(counts: { delivered: number; duplicated: number; outOfOrder: number }): void {
    this.delivered += counts.delivered;
    this.duplicated += counts.duplicated;
    this.outOfOrder += counts.outOfOrder;
  }

  lost(expected: number): number {
    return Math.max(0, expected - this.delivered);
  }
}

/** What a message carries so the receiver can account for it: sender, sequence, send time (µs). */
export interface Stamp {
  s: number;
  n: number;
  t: number;
}

/** Microseconds on the machine's monotonic clock, the same in every process. */
export const nowMicros = (): number => Number(process.hrtime.bigint() / 1000n);

export const stamp = (s: number, n: number): string => JSON.stringify({ s, n, t: nowMicros() });

export function readStamp(text: string): Stamp | null {
  try {
    const v = JSON.parse(text) as Stamp;
    return typeof v.s === 'number' && typeof v.n === 'number' && typeof v.t === 'number' ? v : null;
  } catch {
    return null;
  }
}

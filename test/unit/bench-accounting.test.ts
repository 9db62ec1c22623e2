import { describe, expect, it } from 'vitest';
import { readStamp, stamp, Tally } from '../../bench/accounting.js';

describe('benchmark accounting', () => {
  it('counts a clean stream as delivered, nothing else', () => {
    const t = new Tally();
    for (let n = 0; n < 5; n++) t.record(1, n, 2);
    expect([t.delivered, t.duplicated, t.outOfOrder, t.lost(5)]).toEqual([5, 0, 0, 0]);
  });

  it('catches drops, repeats and reordering, per stream', () => {
    const t = new Tally();
    for (const n of [0, 1, 1, 3, 2, 5]) t.record(1, n, 2); // 4 missing, 1 repeated, 2 late
    for (const n of [0, 1]) t.record(1, n, 3); // another receiver of the same sender is its own stream
    expect(t.delivered).toBe(7);
    expect(t.duplicated).toBe(1);
    expect(t.outOfOrder).toBe(1);
    expect(t.lost(6 + 2)).toBe(1);
  });

  it('merges driver tallies', () => {
    const a = new Tally();
    a.record(1, 0, 1);
    a.absorb({ delivered: 3, duplicated: 1, outOfOrder: 2 });
    expect([a.delivered, a.duplicated, a.outOfOrder]).toEqual([4, 1, 2]);
  });

  it('round-trips a stamp and rejects garbage', () => {
    const s = readStamp(stamp(7, 42));
    expect(s).toMatchObject({ s: 7, n: 42 });
    expect(s!.t).toBeGreaterThan(0);
    expect(readStamp('not json')).toBeNull();
    expect(readStamp('{"s":"x","n":1,"t":2}')).toBeNull();
  });
});

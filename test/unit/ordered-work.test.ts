import { describe, expect, it } from 'vitest';
import { OrderedWork } from '../../src/wire/ordered-work.js';

describe('OrderedWork', () => {
  it('runs tasks one at a time in order, and overflows once past its bound', async () => {
    const done: number[] = [];
    let overflows = 0;
    let running = 0;
    const work = new OrderedWork(3, () => overflows++);
    const task = (n: number) => async () => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, 5 - n));
      done.push(n);
      running--;
    };
    for (let n = 0; n < 5; n++) work.push(task(n));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toEqual([0, 1, 2]);
    expect(overflows).toBe(1);
    work.push(task(9));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toEqual([0, 1, 2]);
  });

  it('keeps going after a task fails', async () => {
    const done: string[] = [];
    const work = new OrderedWork(10, () => {});
    work.push(async () => {
      throw new Error('boom');
    });
    work.push(async () => void done.push('next'));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toEqual(['next']);
  });
});

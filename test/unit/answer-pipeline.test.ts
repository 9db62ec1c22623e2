import { describe, expect, it } from 'vitest';
import { AnswerPipeline } from '../../src/wire/answer-pipeline.js';

/** A promise with its resolve and reject at hand. */
function later<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('AnswerPipeline', () => {
  it('sends answers in arrival order, answers a failed frame with its error, and runs an ordinary frame only after them', async () => {
    const pipeline = new AnswerPipeline(10);
    const sent: unknown[] = [];
    const send = (a: Record<string, unknown>) => sent.push(a.n);
    const failed = () => ({ n: 'error' });
    const first = later<Record<string, unknown>>();
    const second = later<Record<string, unknown>>();
    const third = later<Record<string, unknown>>();
    // Each says it is in line at once; their answers come in another order.
    await pipeline.overlapping((inLine) => (inLine(), first.promise), send, failed);
    await pipeline.overlapping((inLine) => (inLine(), second.promise), send, failed);
    await pipeline.overlapping((inLine) => (inLine(), third.promise), send, failed);
    const ordinary = pipeline.inOrder(async () => void sent.push('ordinary'));
    third.resolve({ n: 3 });
    second.reject(new Error('store failed'));
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([]);
    first.resolve({ n: 1 });
    await ordinary;
    expect(sent).toEqual([1, 'error', 3, 'ordinary']);
  });

  it('keeps going after a send that throws', async () => {
    const pipeline = new AnswerPipeline(10);
    const sent: unknown[] = [];
    await pipeline.overlapping(async () => ({ n: 1 }), () => {
      throw new Error('socket gone');
    }, () => ({}));
    await pipeline.overlapping(async () => ({ n: 2 }), (a) => sent.push(a.n), () => ({}));
    await pipeline.inOrder(async () => void sent.push('next'));
    expect(sent).toEqual([2, 'next']);
  });

  it('keeps the line moving when a frame fails and so does making its error answer, or when start throws', async () => {
    const pipeline = new AnswerPipeline(10);
    const sent: unknown[] = [];
    const send = (a: Record<string, unknown>) => sent.push(a.n);
    await pipeline.overlapping(async () => Promise.reject(new Error('store failed')), send, () => {
      throw new Error('the logger failed too');
    });
    await pipeline.overlapping(() => {
      throw new Error('thrown before any promise');
    }, send, () => ({ n: 'error' }));
    await pipeline.overlapping(async () => ({ n: 3 }), send, () => ({}));
    await pipeline.inOrder(async () => void sent.push('next'));
    expect(sent).toEqual(['error', 3, 'next']);
  });

  it('makes a connection with too many answers waiting wait before starting another', async () => {
    const pipeline = new AnswerPipeline(1);
    const first = later<Record<string, unknown>>();
    await pipeline.overlapping((inLine) => (inLine(), first.promise), () => {}, () => ({}));
    let started = false;
    const second = pipeline.overlapping(async (inLine) => ((started = true), inLine(), {}), () => {}, () => ({}));
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toBe(false);
    first.resolve({});
    await second;
    expect(started).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { AnswerPipeline, type AnswerSink } from '../../src/wire/answer-pipeline.js';

type Frame = Record<string, unknown>;

/** A pipeline whose sent answers (their `n`) are collected. */
function pipelineWith(limit: number, failed: (err: unknown) => Frame = () => ({ n: 'error' }), send?: (a: Frame) => void) {
  const sent: unknown[] = [];
  const pipeline = new AnswerPipeline(limit, send ?? ((a) => sent.push(a.n)), failed);
  return { pipeline, sent };
}

/** Starts an overlapping frame that says it is in line at once; its sink is kept for answering later. */
async function queuedFrame(pipeline: AnswerPipeline): Promise<AnswerSink> {
  let kept!: AnswerSink;
  await pipeline.overlapping((sink) => {
    kept = sink;
    sink.queued();
  });
  return kept;
}

describe('AnswerPipeline', () => {
  it('sends answers in arrival order, and runs an ordinary frame only after them', async () => {
    const { pipeline, sent } = pipelineWith(10);
    const first = await queuedFrame(pipeline);
    const second = await queuedFrame(pipeline);
    const third = await queuedFrame(pipeline);
    const ordinary = pipeline.inOrder(async () => void sent.push('ordinary'));
    third.answer({ n: 3 });
    second.answer({ n: 2 });
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([]);
    first.answer({ n: 1 });
    await ordinary;
    expect(sent).toEqual([1, 2, 3, 'ordinary']);
  });

  it('sends an answer once, however often it is given', async () => {
    const { pipeline, sent } = pipelineWith(10);
    const first = await queuedFrame(pipeline);
    first.answer({ n: 1 });
    first.answer({ n: 'again' });
    await pipeline.overlapping((sink) => sink.answer({ n: 2 }));
    expect(sent).toEqual([1, 2]);
  });

  it('counts an answer given without `queued` as in line', async () => {
    const { pipeline, sent } = pipelineWith(10);
    await pipeline.overlapping((sink) => void setTimeout(() => sink.answer({ n: 1 }), 1));
    expect(sent).toEqual([1]);
  });

  it('keeps going after a send that throws', async () => {
    const sent: unknown[] = [];
    const pipeline = new AnswerPipeline(10, (a) => {
      if (a.n === 1) throw new Error('socket gone');
      sent.push(a.n);
    }, () => ({}));
    await pipeline.overlapping((sink) => sink.answer({ n: 1 }));
    await pipeline.overlapping((sink) => sink.answer({ n: 2 }));
    await pipeline.inOrder(async () => void sent.push('next'));
    expect(sent).toEqual([2, 'next']);
  });

  it('answers a start that throws with its error answer, and keeps the line moving when making that answer throws too', async () => {
    let failures = 0;
    const { pipeline, sent } = pipelineWith(10, () => {
      if (++failures === 1) throw new Error('the logger failed too');
      return { n: 'error' };
    });
    await pipeline.overlapping(() => {
      throw new Error('thrown before any answer');
    });
    await pipeline.overlapping(() => {
      throw new Error('thrown again');
    });
    await pipeline.overlapping((sink) => sink.answer({ n: 3 }));
    await pipeline.inOrder(async () => void sent.push('next'));
    expect(sent).toEqual(['error', 3, 'next']);
  });

  it('makes a connection with too many answers waiting wait before starting another', async () => {
    const { pipeline } = pipelineWith(1);
    const first = await queuedFrame(pipeline);
    let started = false;
    const second = pipeline.overlapping((sink) => {
      started = true;
      sink.answer({});
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toBe(false);
    first.answer({});
    await second;
    expect(started).toBe(true);
  });
});

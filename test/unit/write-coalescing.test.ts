import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { holdWritesForThisTurn } from '../../src/wire/write-coalescing.js';

/** A stream that records how its data reached it: each entry is one call's chunks. */
function recordingStream() {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      calls.push([String(chunk)]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => String(c.chunk)));
      done();
    },
  });
  return { stream, calls };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('holdWritesForThisTurn', () => {
  it('lets everything written in one turn leave in one call, and each later turn in its own', async () => {
    const a = recordingStream();
    const b = recordingStream();
    for (const text of ['1', '2', '3']) {
      holdWritesForThisTurn(a.stream);
      a.stream.write(text);
    }
    holdWritesForThisTurn(b.stream);
    b.stream.write('x');
    expect(a.calls).toEqual([]);
    await nextTurn();
    expect(a.calls).toEqual([['1', '2', '3']]);
    expect(b.calls).toEqual([['x']]);

    holdWritesForThisTurn(a.stream);
    a.stream.write('4');
    a.stream.write('5');
    await nextTurn();
    expect(a.calls).toEqual([['1', '2', '3'], ['4', '5']]);
    expect(a.stream.writableCorked).toBe(0);
  });

  it('keeps a stream corked by its own code corked until that code uncorks it', async () => {
    const a = recordingStream();
    a.stream.cork();
    holdWritesForThisTurn(a.stream);
    a.stream.write('1');
    await nextTurn();
    expect(a.calls).toEqual([]);
    a.stream.uncork();
    expect(a.calls).toEqual([['1']]);
  });
});

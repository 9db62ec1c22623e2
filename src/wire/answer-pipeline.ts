type Frame = Record<string, unknown>;

/** Where a frame's answer goes when it may come later: a stored message's, after its commit. */
export interface AnswerSink {
  /** The frame is in line (a stored message is queued for a commit): the connection may go on. */
  queued(): void;
  /** The frame's answer; it also counts as in line. */
  answer(frame: Frame): void;
}

/**
 * Lets a connection's stored messages overlap their commits. A message is handed to the
 * store in arrival order, and the connection's next frame starts while it commits (so one
 * connection's messages can share a commit); answers still leave in arrival order, and any
 * other frame first waits until everything before it is answered, so it sees their effects.
 * At most `limit` answers wait at a time.
 *
 * A waiting answer is one slot in a plain array, and the slot itself is what the frame's
 * handler answers into: at thousands of messages in flight, a chain of promises and
 * closures per message was a large share of what the collector had to copy.
 */
export class AnswerPipeline {
  private readonly slots: Slot[] = [];
  /** Told when the last waiting answer has left. */
  private emptied: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    /** Sends an answer on the connection; a throw (the socket is gone) does not stop the line. */
    private readonly send: (answer: Frame) => void,
    /** The answer for a frame whose handler threw. */
    private readonly failed: (err: unknown) => Frame,
  ) {}

  /** A frame that must see everything before it: runs once every earlier answer has left. */
  async inOrder(work: () => Promise<unknown>): Promise<void> {
    if (this.slots.length > 0) await this.whenEmpty();
    await work();
  }

  /**
   * A frame whose answer may come later: `start` is handed the sink its answer goes into,
   * and the returned promise resolves once the frame is in line (or answered). The answer
   * leaves after every earlier one, whatever happens to the others.
   */
  overlapping(start: (sink: AnswerSink) => void): Promise<void> {
    if (this.slots.length >= this.limit) return this.whenEmpty().then(() => this.overlapping(start));
    return new Promise<void>((inLine) => {
      const slot = new Slot(this, inLine);
      this.slots.push(slot);
      try {
        start(slot);
      } catch (err) {
        slot.answer(answerFor(this.failed, err));
      }
    });
  }

  /** Sends every answer at the head of the line that is ready. */
  flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const next = this.slots.shift()!;
      try {
        if (next.reply) this.send(next.reply);
      } catch {
        // The socket is gone; the answers behind it still leave in order.
      }
    }
    if (this.slots.length === 0 && this.emptied.length > 0) {
      const waiters = this.emptied;
      this.emptied = [];
      for (const resolve of waiters) resolve();
    }
  }

  private whenEmpty(): Promise<void> {
    return new Promise((resolve) => this.emptied.push(resolve));
  }
}

/** An answer's place in line: done when its frame is, sent once every earlier one has left. */
class Slot implements AnswerSink {
  done = false;
  /** Null when there is nothing to send (making the error answer itself failed). */
  reply: Frame | null = null;

  constructor(
    private readonly pipeline: AnswerPipeline,
    /** Cleared once called, so that it is not kept while the answer waits. */
    private inLine: (() => void) | null,
  ) {}

  queued(): void {
    const inLine = this.inLine;
    this.inLine = null;
    inLine?.();
  }

  answer(frame: Frame | null): void {
    if (this.done) return;
    this.done = true;
    this.reply = frame;
    this.queued();
    this.pipeline.flush();
  }
}

/** The error answer for a failed frame; null if making it failed too, which must not stop the line. */
function answerFor(failed: (err: unknown) => Frame, err: unknown): Frame | null {
  try {
    return failed(err);
  } catch {
    return null;
  }
}

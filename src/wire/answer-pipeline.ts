type Frame = Record<string, unknown>;

/** An answer's place in line: done when its frame is, sent once every earlier one has left. */
interface Slot {
  done: boolean;
  /** Null when there is nothing to send (the error handler itself failed). */
  answer: Frame | null;
  send: (answer: Frame) => void;
}

/**
 * Lets a connection's stored messages overlap their commits. A message is handed to the
 * store in arrival order, and the connection's next frame starts while it commits (so one
 * connection's messages can share a commit); answers still leave in arrival order, and any
 * other frame first waits until everything before it is answered, so it sees their effects.
 * At most `limit` answers wait at a time.
 *
 * The answers wait in a plain array rather than on a chain of promises: at thousands of
 * messages in flight, the chain's promises and closures were a large share of what the
 * collector had to copy.
 */
export class AnswerPipeline {
  private readonly slots: Slot[] = [];
  /** Told when the last waiting answer has left. */
  private emptied: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** A frame that must see everything before it: runs once every earlier answer has left. */
  async inOrder(work: () => Promise<unknown>): Promise<void> {
    if (this.slots.length > 0) await this.whenEmpty();
    await work();
  }

  /**
   * A frame whose answer may come later: resolves once `start` says it is in line (or has
   * its answer); `send` gets the answer after every earlier one. A `start` that fails is
   * answered by `failed`; the order of the others holds whatever happens to one of them.
   */
  overlapping(
    start: (inLine: () => void) => Promise<Frame>,
    send: (answer: Frame) => void,
    failed: (err: unknown) => Frame,
  ): Promise<void> {
    if (this.slots.length >= this.limit) return this.whenEmpty().then(() => this.overlapping(start, send, failed));
    const slot: Slot = { done: false, answer: null, send };
    this.slots.push(slot);
    return new Promise<void>((inLine) => {
      let answered: Promise<Frame>;
      try {
        answered = start(inLine);
      } catch (err) {
        answered = Promise.reject(err);
      }
      answered.then(
        (answer) => this.fill(slot, answer, inLine),
        (err) => this.fill(slot, answerFor(failed, err), inLine),
      );
    });
  }

  private fill(slot: Slot, answer: Frame | null, inLine: () => void): void {
    slot.done = true;
    slot.answer = answer;
    inLine();
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const next = this.slots.shift()!;
      try {
        if (next.answer) next.send(next.answer);
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

/** The error answer for a failed frame; null if making it failed too, which must not stop the line. */
function answerFor(failed: (err: unknown) => Frame, err: unknown): Frame | null {
  try {
    return failed(err);
  } catch {
    return null;
  }
}

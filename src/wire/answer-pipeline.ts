type Frame = Record<string, unknown>;

/**
 * Lets a connection's stored messages overlap their commits. A message is handed to the
 * store in arrival order, and the connection's next frame starts while it commits (so one
 * connection's messages can share a commit); answers still leave in arrival order, and any
 * other frame first waits until everything before it is answered, so it sees their effects.
 * At most `limit` answers wait at a time.
 */
export class AnswerPipeline {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly limit: number) {}

  /** A frame that must see everything before it: runs once every earlier answer has left. */
  async inOrder(work: () => Promise<unknown>): Promise<void> {
    // Nothing waiting means every earlier answer has left: no need to wait on the chain.
    if (this.waiting > 0) await this.tail;
    await work();
  }

  /**
   * A frame whose answer may come later: resolves once `start` says it is in line (or has
   * its answer); `send` gets the answer after every earlier one. A `start` that fails is
   * answered by `failed`; the order of the others holds whatever happens to one of them.
   */
  async overlapping(
    start: (inLine: () => void) => Promise<Frame>,
    send: (answer: Frame) => void,
    failed: (err: unknown) => Frame,
  ): Promise<void> {
    if (this.waiting >= this.limit) await this.tail;
    this.waiting++;
    let inLine!: () => void;
    const queued = new Promise<void>((resolve) => (inLine = resolve));
    const answered = start(inLine).catch(failed);
    this.tail = this.tail
      .then(() => answered)
      .then(send)
      .catch(() => undefined)
      .finally(() => this.waiting--);
    await Promise.race([queued, answered]);
  }
}

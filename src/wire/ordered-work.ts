/**
 * Runs a connection's frames one at a time, in arrival order (so its messages are stored
 * and answered in order), with a bound on how many may wait: a client that sends faster
 * than it is answered is cut off instead of growing the server's memory without limit.
 */
export class OrderedWork {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  push(task: () => Promise<void>): void {
    if (this.overflowed) return;
    if (this.waiting >= this.limit) {
      this.overflowed = true;
      this.onOverflow();
      return;
    }
    this.waiting++;
    // A failed task must not stop the ones behind it; reporting the failure is the task's job.
    this.tail = this.tail
      .then(task)
      .catch(() => {})
      .finally(() => this.waiting--);
  }
}

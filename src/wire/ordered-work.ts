/**
 * Runs a connection's frames one at a time, in arrival order (so its messages are stored
 * and answered in order), with a bound on how many may wait: a client that sends faster
 * than it is answered is cut off instead of growing the server's memory without limit.
 */
export class OrderedWork {
  private readonly queue: (() => Promise<unknown> | undefined)[] = [];
  private running = false;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  push(task: () => Promise<unknown> | undefined): void {
    if (this.overflowed) return;
    if (this.queue.length >= this.limit) {
      this.overflowed = true;
      this.onOverflow();
      return;
    }
    this.queue.push(task);
    if (!this.running) void this.run();
  }

  /** One loop per burst of frames, not a chain of promises per frame (which the collector paid for). */
  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length) {
      const task = this.queue[0]!;
      try {
        const pending = task();
        if (pending) await pending;
      } catch {
        // A failed task must not stop the ones behind it; reporting the failure is the task's job.
      }
      this.queue.shift();
    }
    this.running = false;
  }
}

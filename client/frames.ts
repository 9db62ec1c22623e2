/** Frames received on a socket, kept in arrival order until someone takes them. */
export type Frame = Record<string, unknown>;

type Waiter = { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> };

export class FrameQueue {
  private readonly inbox: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly listeners = new Set<(frame: Frame) => void>();

  push(frame: Frame): void {
    for (const listener of this.listeners) listener(frame);
    const index = this.waiters.findIndex((w) => w.match(frame));
    if (index < 0) {
      this.inbox.push(frame);
      return;
    }
    const [w] = this.waiters.splice(index, 1);
    clearTimeout(w!.timer);
    w!.resolve(frame);
  }

  /** The next frame matching `match`, already received or still to come. */
  next(match: (frame: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    const index = this.inbox.findIndex(match);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match, resolve, reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error('timed out waiting for a frame'));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  pending(): readonly Frame[] {
    return this.inbox;
  }

  onFrame(listener: (frame: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fails every waiter: the socket is gone. */
  fail(reason: string): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(reason));
    }
  }
}

let counter = 0;
export const randomId = (): string => `${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Monster answers carry the request's messageId and a statusCode other than the push marker 300. */
export const isAnswerTo = (messageId: string) => (f: Frame) => f.messageId === messageId && typeof f.statusCode === 'string' && f.statusCode !== '300';

import type { WebSocket } from 'ws';
import { OrderedWork } from './ordered-work.js';

/** Why an incoming frame could not be read as a JSON object. */
export type UnreadableFrame = 'binary' | 'malformed' | 'not-object';

export type FrameHandler<C> = (context: C, frame: Record<string, unknown> | UnreadableFrame) => Promise<unknown>;

/**
 * The way in for a connection's frames, shared by the login socket and account endpoints.
 * Frames are handled one at a time in arrival order, with a bound on how many may wait —
 * from the first frame on, including those that arrive while the connection is still
 * being authenticated (`ready`). A connection that `ready` turns away (null) has its
 * frames dropped.
 */
export function takeFrames<C>(socket: WebSocket, ready: Promise<C | null>, limit: number, onOverflow: () => void, handle: FrameHandler<C>): void {
  const work = new OrderedWork(limit, onOverflow);
  // Once known, the context is used directly: awaiting a settled promise still costs each frame.
  let context: C | null | undefined;
  void ready.then((c) => (context = c), () => (context = null));
  socket.on('message', (data: Buffer, isBinary: boolean) =>
    work.push(() => {
      if (context === undefined) return ready.then((c) => (c === null ? undefined : handle(c, decode(data, isBinary))));
      if (context !== null) return handle(context, decode(data, isBinary));
      return undefined;
    }),
  );
}

function decode(data: Buffer, isBinary: boolean): Record<string, unknown> | UnreadableFrame {
  if (isBinary) return 'binary';
  let frame: unknown;
  try {
    frame = JSON.parse(data.toString('utf8'));
  } catch {
    return 'malformed';
  }
  return frame !== null && typeof frame === 'object' && !Array.isArray(frame) ? (frame as Record<string, unknown>) : 'not-object';
}

import type { Writable } from 'node:stream';

/*
 * One group commit answers hundreds of frames at once, and a connection with several frames
 * in it gets several answers and pushes in the same turn of the event loop. Written one by
 * one, each is its own `writev` system call, which was the largest single cost of stored
 * messages. A socket written to is corked until the current turn ends, so everything
 * written to it in that turn leaves in one call.
 */

const held = new Set<Writable>();
let releaseScheduled = false;

function releaseAll(): void {
  releaseScheduled = false;
  for (const socket of held) socket.uncork();
  held.clear();
}

/** Holds the socket's writes until the current turn of the event loop ends. */
export function holdWritesForThisTurn(socket: Writable): void {
  if (held.has(socket)) return;
  socket.cork();
  held.add(socket);
  if (!releaseScheduled) {
    releaseScheduled = true;
    setImmediate(releaseAll);
  }
}

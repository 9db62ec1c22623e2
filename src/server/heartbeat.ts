import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Pings every socket once per interval and drops those that did not answer the previous
 * ping, so a vanished phone does not stay "online" until TCP gives up hours later.
 *
 * The sockets are pinged a slice at a time through the interval rather than all at once:
 * one loop over 100,000 sockets is 100,000 writes in a row, long enough to hold up every
 * message that arrives meanwhile.
 */
export function startHeartbeat(server: WebSocketServer, intervalMs: number, slices = 20): () => void {
  /** When each socket's unanswered ping left. */
  const unanswered = new WeakMap<WebSocket, number>();
  server.on('connection', (socket) => socket.on('pong', () => unanswered.delete(socket)));
  let round: WebSocket[] = [];
  let slice = 0;
  const timer = setInterval(() => {
    if (slice === 0) round = [...server.clients];
    const size = Math.ceil(round.length / slices);
    const now = Date.now();
    for (const socket of round.slice(slice * size, (slice + 1) * size)) {
      if (socket.readyState !== socket.OPEN) continue;
      const sent = unanswered.get(socket);
      // A socket's place in the round moves as others come and go, so its ping is judged
      // by its age: half an interval unanswered is long past any live client's reply.
      if (sent !== undefined) {
        if (now - sent >= intervalMs / 2) socket.terminate();
        continue;
      }
      unanswered.set(socket, now);
      socket.ping();
    }
    slice = (slice + 1) % slices;
  }, intervalMs / slices);
  timer.unref();
  return () => clearInterval(timer);
}

import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Pings every socket at an interval and drops those that did not answer the previous
 * ping, so a vanished phone does not stay "online" until TCP gives up hours later.
 */
export function startHeartbeat(server: WebSocketServer, intervalMs: number): () => void {
  const alive = new WeakSet<WebSocket>();
  server.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
  });
  const timer = setInterval(() => {
    for (const socket of server.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

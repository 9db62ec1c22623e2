import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startHeartbeat } from '../../src/server/heartbeat.js';

const INTERVAL_MS = 400;
const SLICES = 4;

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function serverWithHeartbeat() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const stop = startHeartbeat(server, INTERVAL_MS, SLICES);
  const pingsAt: number[] = [];
  server.on('connection', (socket) => {
    const ping = socket.ping.bind(socket);
    socket.ping = (...args: Parameters<WebSocket['ping']>) => (pingsAt.push(Date.now()), ping(...args));
  });
  cleanup = async () => {
    stop();
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  };
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, url, pingsAt };
}

const open = (url: string, options: { autoPong?: boolean } = {}) =>
  new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });

const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

describe('heartbeat', () => {
  it('keeps clients that answer pings and drops one that does not', async () => {
    const { url, pingsAt } = await serverWithHeartbeat();
    const live = await Promise.all(Array.from({ length: 8 }, () => open(url)));
    const silent = await open(url, { autoPong: false });

    // 1006: the server cut the connection without a closing handshake.
    expect(await closed(silent)).toBe(1006);
    // Two more rounds: every live client has been pinged again and is still there.
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 2));
    expect(live.map((s) => s.readyState)).toEqual(live.map(() => WebSocket.OPEN));
    // Every socket was pinged, and the round was spread over slices: the nine first pings
    // span at least one slice's interval (all in one loop, they would be a millisecond apart).
    expect(pingsAt.length).toBeGreaterThanOrEqual(9);
    expect(pingsAt[8]! - pingsAt[0]!).toBeGreaterThanOrEqual(INTERVAL_MS / SLICES);
    for (const s of live) s.close();
  });
});

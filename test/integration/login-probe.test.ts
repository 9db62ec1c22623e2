import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { benchCommand } from '../../bench/cli.js';
import { probeLogin, readFrame } from '../../bench/login-probe.js';
import { registerAndLogin, serverForSuite } from '../support/server.js';

/** A server on 127.0.0.1 for one test; `stop` closes it. */
async function listening(server: http.Server): Promise<{ port: number; stop: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('the login scenario’s probe', () => {
  const suite = serverForSuite('sqlite');

  it('counts a token login as done only once the server answered 200, and leaves no session behind', async () => {
    const user = await registerAndLogin(suite.server);
    await user.session.close();
    const ws = suite.server.url.replace(/^http/, 'ws');
    const login = (token: string) => new URL(`${ws}/im/login?${new URLSearchParams({ account: user.account, token })}`);

    expect(await Promise.all(Array.from({ length: 20 }, () => probeLogin(login(user.auth.token))))).toEqual(Array(20).fill('ok'));
    expect(await probeLogin(login('0'.repeat(64)))).toBe('refused');
    await expect.poll(() => suite.server.monami.app.websocketServer.clients.size).toBe(0);
  });

  it('reads past a heartbeat ping to the answer, and fails a server that closes without one', async () => {
    const server = http.createServer();
    const sockets = new WebSocketServer({ server });
    sockets.on('connection', (socket, request) => {
      socket.ping();
      if (request.url === '/answer') socket.send(JSON.stringify({ code: 200, padding: 'x'.repeat(70_000) }));
      else socket.close(1011);
    });
    const { port, stop } = await listening(server);
    try {
      expect(await probeLogin(new URL(`ws://127.0.0.1:${port}/answer`))).toBe('ok');
      expect(await probeLogin(new URL(`ws://127.0.0.1:${port}/close`))).toBe('failed');
    } finally {
      await stop();
    }
  });

  it('fails a handshake the server refuses, and a port nobody listens on', async () => {
    const { port, stop } = await listening(http.createServer((_, res) => res.writeHead(400).end('no')));
    try {
      expect(await probeLogin(new URL(`ws://127.0.0.1:${port}/im/login`))).toBe('failed');
    } finally {
      await stop();
    }
    expect(await probeLogin(new URL(`ws://127.0.0.1:${port}/im/login`))).toBe('failed');
  });

  it('is not given a TLS address, which it does not speak', async () => {
    const run = benchCommand().parseAsync(['node', 'bench', '--scenario', 'login', '--url', 'https://127.0.0.1:1']);
    await expect(run).rejects.toThrow(/plain ws:\/\//);
  });

  it('is not run without an account to log in', async () => {
    await expect(benchCommand().parseAsync(['node', 'bench', '--scenario', 'login', '--users', '0'])).rejects.toThrow(/at least 1/);
  });

  it('reads a frame only once all of it is there, whatever its length form', () => {
    const text = (payload: Buffer) => {
      const head = payload.length < 126 ? Buffer.from([0x81, payload.length])
        : payload.length < 65_536 ? Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff])
          : Buffer.concat([Buffer.from([0x81, 127]), Buffer.from(new BigUint64Array([BigInt(payload.length)]).buffer).reverse()]);
      return Buffer.concat([head, payload]);
    };
    for (const size of [5, 300, 70_000]) {
      const frame = text(Buffer.alloc(size, 'a'));
      expect(readFrame(frame.subarray(0, frame.length - 1))).toBeNull();
      expect(readFrame(frame)).toMatchObject({ opcode: 1, size: frame.length });
      expect((readFrame(Buffer.concat([frame, Buffer.from([0x89, 0])])) as { payload: Buffer }).payload.length).toBe(size);
    }
    expect(readFrame(Buffer.from([0x81, 0x85, 0, 0, 0, 0, 1]))).toBe('invalid'); // masked: no server sends that
    expect(readFrame(Buffer.from([0x01, 0x01, 0x61]))).toBe('invalid'); // a fragment
    expect(readFrame(Buffer.from([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0]))).toBe('invalid'); // 4 GiB
  });
});

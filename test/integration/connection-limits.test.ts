import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { serverForSuite, uniqueName } from '../support/server.js';

type Opened = { socket: WebSocket; first: Promise<{ code?: number }>; closed: Promise<void> } | { status: number; body: string };

/** A login socket from `address` (the server trusts X-Forwarded-For here): open, or the HTTP answer that refused it. */
function login(url: string, address: string, account: string, password: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/im/login?${new URLSearchParams({ account, password })}`, {
      headers: { 'x-forwarded-for': address },
    });
    const first = new Promise<{ code?: number }>((res) => socket.once('message', (data) => res(JSON.parse(String(data)))));
    const closed = new Promise<void>((res) => socket.once('close', () => res()));
    socket.once('open', () => resolve({ socket, first, closed }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.once('error', reject);
  });
}

function opened(result: Opened): Extract<Opened, { socket: WebSocket }> {
  if (!('socket' in result)) throw new Error(`refused with ${result.status}: ${result.body}`);
  return result;
}

async function close(result: Opened): Promise<void> {
  const { socket, closed } = opened(result);
  socket.close();
  await closed;
}

describe('connection limits', () => {
  const suite = serverForSuite('sqlite', { MONAMI_MAX_CONNECTIONS: '3', MONAMI_MAX_CONNECTIONS_PER_ADDRESS: '2', MONAMI_TRUST_PROXY: '1' });

  async function person(): Promise<{ account: string; password: string }> {
    const account = uniqueName();
    const password = `pw-${account}`;
    expect((await suite.server.http.register({ account, password, mail: `${account}@example.org` })).code).toBe(200);
    return { account, password };
  }

  it('refuses one address past its limit with 429 and the node past its own with 503, while plain HTTP and open sessions carry on', async () => {
    const { url } = suite.server;
    const alice = await person();
    const a1 = opened(await login(url, '203.0.113.1', alice.account, alice.password));
    const a2 = opened(await login(url, '203.0.113.1', alice.account, alice.password));
    expect(await a1.first).toMatchObject({ code: 200 });

    expect(await login(url, '203.0.113.1', alice.account, alice.password)).toMatchObject({ status: 429, body: expect.stringContaining('too many connections from this address') });
    const b1 = opened(await login(url, '203.0.113.2', alice.account, alice.password));
    expect(await b1.first).toMatchObject({ code: 200 });
    expect(await login(url, '203.0.113.3', alice.account, alice.password)).toMatchObject({ status: 503, body: expect.stringContaining('too many connections on this server') });

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // The sessions held are untouched: one still answers a request.
    const answer = new Promise((resolve) => a2.socket.on('message', (d) => { const f = JSON.parse(String(d)); if (f.messageId === 'info-1') resolve(f); }));
    a2.socket.send(JSON.stringify({ code: '1000', to: `@${alice.account}:localhost`, messageId: 'info-1' }));
    await expect(answer).resolves.toMatchObject({ statusCode: '100', address: `@${alice.account}:localhost` });

    // A closed connection makes room again, for its address and for the node.
    await close(a1);
    const a3 = opened(await login(url, '203.0.113.1', alice.account, alice.password));
    expect(await a3.first).toMatchObject({ code: 200 });
    await close(b1);
    const c1 = opened(await login(url, '203.0.113.3', alice.account, alice.password));
    expect(await c1.first).toMatchObject({ code: 200 });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('monami_connections_refused_total{reason="address"} 1');
    expect(metrics).toContain('monami_connections_refused_total{reason="node"} 1');
    await Promise.all([close(a2), close(a3), close(c1)]);
  });

  it('counts a connection until it closes, however it ended: refused logins leave no count behind', async () => {
    const { url } = suite.server;
    const bob = await person();
    for (let i = 0; i < 3; i++) {
      const refused = opened(await login(url, '198.51.100.9', bob.account, 'not the password'));
      expect(await refused.first).toMatchObject({ code: expect.any(Number) });
      expect((await refused.first).code).not.toBe(200);
      await refused.closed;
    }
    const first = opened(await login(url, '198.51.100.9', bob.account, bob.password));
    const second = opened(await login(url, '198.51.100.9', bob.account, bob.password));
    expect(await first.first).toMatchObject({ code: 200 });
    expect(await second.first).toMatchObject({ code: 200 });
    await Promise.all([close(first), close(second)]);
  });
});

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MinamiHttp, MinamiSession } from '../../client/minami.js';
import { encodeText } from '../../client/monster.js';
import { serveProcess } from '../support/process.js';
import { Socket } from '../support/server.js';

/** `monami serve` as its own process, on a fresh SQLite folder. */
const serve = (dataDir: string, env: Record<string, string> = {}) => serveProcess(['--data-dir', dataDir], env);

describe('monami serve as a process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the web client, keeps secrets out of its logs, shuts down cleanly on SIGTERM and keeps its data', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-proc-'));
    const first = await serve(dataDir);
    children.push(first.child);

    const page = await fetch(`${first.url}/im/www/v1/chat.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);
    expect((await fetch(`${first.url}/`, { redirect: 'manual' })).headers.get('location')).toBe('/im/www/v1/chat.html');
    expect(await (await fetch(`${first.url}/metrics`)).text()).toContain('monami_sessions');

    const http = new MinamiHttp(first.url);
    const password = 'S3cret-Passw0rd';
    expect((await http.register({ account: 'procuser', password, mail: 'p@example.org' })).code).toBe(200);
    const session = MinamiSession.connect(first.url, { account: 'procuser', password }, Socket);
    const login = await session.login;
    expect(login.code).toBe(200);
    expect((await http.found({ id: login.profile.id, token: login.token }, 'nobody')).code).toBe(200);

    const typo = await fetch(`${first.url}/im/login/?account=procuser&password=${password}`);
    expect(typo.status).toBe(404);
    expect(await typo.text()).not.toContain(password);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect((await session.closed).code).toBe(1001);
    const logs = first.output();
    expect(logs).toContain('/im/login');
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(login.token);

    const second = await serve(dataDir);
    children.push(second.child);
    const again = MinamiSession.connect(second.url, { account: 'procuser', token: login.token }, Socket);
    expect((await again.login).profile.id).toBe(login.profile.id);
    await again.close();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged stored message when killed with SIGKILL mid-stream', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-kill-'));
    // Enough frames may wait that a long queue of uncommitted messages exists when the kill lands.
    const first = await serve(dataDir, { MONAMI_MAX_PENDING_FRAMES: '100000' });
    children.push(first.child);
    const http = new MinamiHttp(first.url);
    const users = [] as { account: string; id: string; token: string; session: MinamiSession }[];
    for (const account of ['killa', 'killb']) {
      await http.register({ account, password: 'pw', mail: 'm@example.org' });
      const session = MinamiSession.connect(first.url, { account, password: 'pw' }, Socket);
      const login = await session.login;
      users.push({ account, id: login.profile.id, token: login.token, session });
    }
    const [a, b] = users as [(typeof users)[0], (typeof users)[0]];
    await http.request({ id: a.id, token: a.token }, b.id, 'hi');
    await http.add({ id: b.id, token: b.token }, a.id, 'a');
    await a.session.next((f) => f.code === 301);

    // A long stream of stored messages; the server is killed while answers are still coming in.
    const acked: string[] = [];
    a.session.onFrame((f) => {
      if (f.code === '2001' && f.statusCode === '200') acked.push(String(f.messageId));
    });
    for (let i = 0; i < 20000; i++) a.session.socket.send(JSON.stringify({ messageId: `k${i}`, code: '2001', to: '@killb:localhost', text: encodeText(`m${i}`) }));
    await expect.poll(() => acked.length, { timeout: 20_000, interval: 5 }).toBeGreaterThan(500);
    first.child.kill('SIGKILL');
    await first.exited;
    const answered = [...acked];
    expect(answered.length).toBeLessThan(20000);

    const second = await serve(dataDir);
    children.push(second.child);
    const reader = MinamiSession.connect(second.url, { account: 'killb', token: b.token }, Socket, 0);
    await reader.login;
    const stored = new Set<string>();
    for (let before: number | null = null; ; ) {
      const page = await reader.request({ code: '3002', to: '@killa:localhost', limit: 100, ...(before ? { before } : {}) });
      const messages = page.messages as { id: number; messageId: string }[];
      for (const m of messages) stored.add(m.messageId);
      if (messages.length < 100) break;
      before = messages[0]!.id;
    }
    const missing = answered.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    await reader.close();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MinamiHttp, MinamiSession } from '../../client/minami.js';
import { Socket } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `monami serve` from the sources, as a separate process. */
async function serve(dataDir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', MONAMI_SCRYPT_LOG2N: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return { child, url, output: () => output, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${output}`);
}

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
});

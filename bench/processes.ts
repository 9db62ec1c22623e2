import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnSpec, DriverCommand, DriverReply } from './driver.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Built, the bench runs its .js files; from the sources (as the tests do), the .ts files through tsx. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const script = (name: string) => path.join(HERE, `${name}.${FROM_SOURCE ? 'ts' : 'js'}`);
const nodeArgs = FROM_SOURCE ? ['--import', 'tsx'] : [];
/** The package root (bench/ or dist/bench/ lies below it). */
const ROOT = FROM_SOURCE ? path.resolve(HERE, '..') : path.resolve(HERE, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export interface Running {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess, cleanup = () => {}) {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve(cleanup());
      child.once('exit', () => resolve(cleanup()));
      child.kill('SIGTERM');
    });
}

/** A monami server of the build in dist/, on a fresh SQLite folder or the given PostgreSQL. */
export async function startMonami(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-bench-'));
  const cli = FROM_SOURCE ? ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts')] : [path.join(ROOT, 'dist', 'src', 'cli.js')];
  const child = spawn(process.execPath, [...cli, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) {
      return { url, pid: child.pid!, stop: stopper(child, () => fs.rmSync(dataDir, { recursive: true, force: true })) };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('monami did not start');
}

export async function startFloorProcess(options: { dropEvery?: number; duplicateEvery?: number; durable?: boolean } = {}): Promise<Running> {
  const args = [...nodeArgs, script('floor-main'), '--drop-every', String(options.dropEvery ?? 0), '--duplicate-every', String(options.duplicateEvery ?? 0)];
  if (options.durable) args.push('--durable');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve((JSON.parse(String(d)) as { port: number }).port));
    child.once('exit', () => reject(new Error('floor did not start')));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: stopper(child) };
}

/** The load generator's processes, driven together. */
export class Drivers {
  private readonly children: ChildProcess[];
  private readonly progress = new Map<ChildProcess, { delivered: number; acked: number }>();

  constructor(count: number) {
    this.children = Array.from({ length: count }, () => fork(script('driver'), [], { execArgv: nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    for (const child of this.children) {
      child.on('message', (m: DriverReply) => {
        if (m.type === 'progress') this.progress.set(child, { delivered: m.delivered, acked: m.acked });
      });
    }
  }

  get count(): number {
    return this.children.length;
  }

  /** Deals the connections out round-robin and opens them; resolves how many failed. */
  async connect(specs: ConnSpec[]): Promise<number> {
    const parts = this.children.map(() => [] as ConnSpec[]);
    specs.forEach((s, i) => parts[i % parts.length]!.push(s));
    const replies = await Promise.all(this.children.map((c, i) => this.ask(c, { type: 'connect', conns: parts[i]! }, 'ready')));
    return replies.reduce((n, r) => n + (r.type === 'ready' ? r.failed : 0), 0);
  }

  tell(cmd: DriverCommand): void {
    for (const c of this.children) c.send(cmd);
  }

  totals(): { delivered: number; acked: number } {
    let delivered = 0;
    let acked = 0;
    for (const p of this.progress.values()) {
      delivered += p.delivered;
      acked += p.acked;
    }
    return { delivered, acked };
  }

  all<T extends DriverReply['type']>(cmd: DriverCommand, answer: T): Promise<Extract<DriverReply, { type: T }>[]> {
    return Promise.all(this.children.map((c) => this.ask(c, cmd, answer)));
  }

  /** Deals `items` out round-robin, one share per driver. */
  split<T>(items: T[]): T[][] {
    const parts = this.children.map(() => [] as T[]);
    items.forEach((item, i) => parts[i % parts.length]!.push(item));
    return parts;
  }

  ask<T extends DriverReply['type']>(child: ChildProcess, cmd: DriverCommand, answer: T): Promise<Extract<DriverReply, { type: T }>> {
    return new Promise((resolve) => {
      const listener = (m: DriverReply) => {
        if (m.type !== answer) return;
        child.off('message', listener);
        resolve(m as Extract<DriverReply, { type: T }>);
      };
      child.on('message', listener);
      child.send(cmd);
    });
  }

  nth(i: number): ChildProcess {
    return this.children[i]!;
  }

  close(): void {
    for (const c of this.children) if (c.connected) c.send({ type: 'close' });
    this.progress.clear();
  }
}

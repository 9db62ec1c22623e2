import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { SingleBar } from 'cli-progress';
import type { ConnSpec } from './driver.js';
import { cpuMs, rssKb, writtenBytes } from './procstats.js';
import { Drivers, startFloorProcess, startMonami, type Running } from './processes.js';
import { computeRatios, medianRound, percentiles } from './report.js';
import { befriendPairs, createGroup, createUsers, loginUrl, type BenchUser } from './setup.js';
import type { BenchOptions, BenchResult, TargetResult } from './types.js';

/** Hash cost of the server the bench starts: cheap for setting up thousands of accounts, the production default when logins are what is measured. */
const SETUP_SCRYPT_LOG2N = 10;
const PRODUCTION_SCRYPT_LOG2N = 15;
/** A run that delivers nothing new for this long is over; whatever is missing is lost. */
const STALL_MS = 10_000;

export interface Target {
  name: 'monami' | 'floor';
  running: Running;
  /** The processes whose CPU time and memory are counted (several nodes: all of them). */
  pids: number[];
  /** Where the i-th session connects (several nodes: spread over them). */
  urlFor?: (i: number) => string;
}

/** A /proc figure summed over the target's processes; null when it has none to read or any is unknown. */
function targetSum(t: Target, read: (pid: number) => number | null): number | null {
  if (t.pids.length === 0) return null;
  const values = t.pids.map(read);
  return values.some((v) => v === null) ? null : values.reduce((a, b) => a! + b!, 0);
}

const targetCpuMs = (t: Target) => targetSum(t, cpuMs);
const targetRssKb = (t: Target) => targetSum(t, rssKb);
const targetWrittenBytes = (t: Target) => targetSum(t, writtenBytes);

const wsUrl = (http: string) => http.replace(/^http/, 'ws');

export async function runBench(opts: BenchOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchResult> {
  const runId = randomBytes(3).toString('hex');
  const scryptLog2N = opts.scenario === 'login' ? PRODUCTION_SCRYPT_LOG2N : SETUP_SCRYPT_LOG2N;
  const domain = 'localhost';
  const env = {
    MONAMI_SCRYPT_LOG2N: String(scryptLog2N),
    MONAMI_MAX_SESSIONS_PER_USER: '1000',
    // Every generated connection comes from 127.0.0.1.
    MONAMI_MAX_CONNECTIONS_PER_ADDRESS: '10000000',
    MONAMI_LOGIN_FAILURES_PER_ADDRESS: '1000000',
    MONAMI_LOGIN_ATTEMPTS_PER_ADDRESS: '100000000',
    MONAMI_DOMAIN: domain,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    // Several nodes: one deployment on one database and one Redis, under a prefix of its own.
    ...(opts.nodes > 1 ? { REDIS_URL: opts.redisUrl, MONAMI_REDIS_PREFIX: `monami-bench-${runId}:` } : {}),
  };
  const nodes: Running[] = opts.url
    ? [{ url: opts.url.replace(/\/+$/, ''), pid: opts.serverPid ?? 0, stop: async () => {} }]
    : await Promise.all(Array.from({ length: opts.nodes }, () => startMonami(env)));
  const monami: Running = { url: nodes[0]!.url, pid: nodes[0]!.pid, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
  // Where monami commits each message before answering it, so does the floor.
  const floor = opts.floor ? await startFloorProcess({ durable: opts.scenario === 'stored' || opts.scenario === 'group' }) : null;
  const targets: Target[] = [{
    name: 'monami', running: monami, pids: nodes.map((n) => n.pid).filter((pid) => pid > 0),
    // Neighbours (partners, i and i^1) land on different nodes: every message crosses between them.
    urlFor: (i) => nodes[i % nodes.length]!.url,
  }];
  if (floor) targets.push({ name: 'floor', running: floor, pids: [floor.pid] });
  const nodeUrl = (i: number) => targets[0]!.urlFor!(i);

  const rounds: TargetResult[][] = [];
  /** Runs the workload `opts.rounds` times, each time on every target in turn; `round` tells rounds apart (message ids). */
  const inRounds = async (measure: (t: Target, round: string) => Promise<TargetResult>) => {
    for (let i = 0; i < opts.rounds; i++) {
      const results: TargetResult[] = [];
      for (const t of targets) results.push(await measure(t, opts.rounds > 1 ? `${runId}r${i}` : runId));
      rounds.push(results);
    }
  };
  try {
    const prefix = `b${runId}u`;
    const setupBar = bar(log, 'setting up accounts');
    const make = (n: number) => {
      setupBar.start(n, 0);
      return createUsers(monami.url, prefix, n, () => setupBar.increment()).finally(() => setupBar.stop());
    };
    switch (opts.scenario) {
      case 'dialogue':
      case 'stored': {
        const users = await make(opts.users - (opts.users % 2));
        await befriendPairs(monami.url, users);
        const partner = (i: number) => users[i ^ 1]!;
        await inRounds((t, round) => {
          const specs = users.map((u, i): ConnSpec =>
            t.name === 'floor'
              ? { url: `${wsUrl(t.running.url)}/?id=${u.account}`, index: i, to: partner(i).account }
              : { url: loginUrl(nodeUrl(i), u), index: i, to: opts.scenario === 'dialogue' ? partner(i).id : `@${partner(i).account}:${domain}` },
          );
          return measureFlow(t, specs, users.length, users.length * opts.messages, opts, round, log);
        });
        break;
      }
      case 'group': {
        const users = await make(opts.groupSize + 1);
        const [sender, ...members] = users as [BenchUser, ...BenchUser[]];
        const address = await createGroup(monami.url, sender, members, `g${runId}`, domain);
        await inRounds((t, round) => {
          const specs = users.map((u, i): ConnSpec =>
            t.name === 'floor'
              ? { url: `${wsUrl(t.running.url)}/?id=${u.account}&groups=g`, index: i, to: i === 0 ? 'g' : null }
              : { url: loginUrl(nodeUrl(i), u), index: i, to: i === 0 ? address : null },
          );
          return measureFlow(t, specs, 1, opts.messages * members.length, { ...opts, scenario: 'stored' }, round, log);
        });
        break;
      }
      case 'idle': {
        const users = await make(Math.ceil(opts.sessions / 10));
        await inRounds((t) => {
          const specs = Array.from({ length: opts.sessions }, (_, i): ConnSpec => {
            const u = users[i % users.length]!;
            return { url: t.name === 'floor' ? `${wsUrl(t.running.url)}/?id=${u.account}-${i}` : loginUrl(nodeUrl(i), u), index: i, to: null };
          });
          return measureIdle(t, specs, opts, log);
        });
        break;
      }
      case 'login': {
        const users = await make(opts.users);
        await inRounds((t) => measureLogins(t, users, t.running.url, opts, scryptLog2N, log));
        break;
      }
    }
  } finally {
    await Promise.all(targets.map((t) => t.running.stop()));
  }

  const measured = rounds.map((results) => ({ results, ratios: computeRatios(results) }));
  const median = medianRound(measured);
  return {
    schema: 'monami-bench/1',
    scenario: opts.scenario,
    options: opts,
    startedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}` },
    store: opts.url ? 'external' : opts.databaseUrl ? 'postgres' : 'sqlite',
    results: measured[median]?.results ?? [],
    ratios: measured[median]?.ratios ?? null,
    rounds: measured,
    median,
  };
}

function bar(log: (line: string) => void, label: string) {
  return new SingleBar({ format: `${label.padEnd(28)} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr, hideCursor: true, noTTYOutput: false, notTTYSchedule: 2000 });
}

function emptyResult(t: Target): TargetResult {
  return {
    target: t.name, sent: 0, expected: 0, delivered: 0, lost: 0, duplicated: 0, outOfOrder: 0, errors: 0, wallMs: 0, throughput: 0,
    latency: null, serverCpuMs: null, serverRssKb: null, cpuMsPer1000: null, diskKbPerMessage: null, kbPerSession: null, logins: null, driverCpu: 0,
  };
}

/** Drives a message workload to completion (or stall) and accounts for every delivery. */
export async function measureFlow(
  t: Target, specs: ConnSpec[], senders: number, expected: number, opts: BenchOptions, runId: string, log: (l: string) => void, stallMs = STALL_MS,
): Promise<TargetResult> {
  const drivers = new Drivers(opts.drivers);
  try {
    const failed = await drivers.connect(specs);
    if (failed) throw new Error(`${t.name}: ${failed} connections failed to open`);
    log(`${t.name}: ${opts.scenario} workload over ${specs.length} sessions`);
    const cpu0 = targetCpuMs(t);
    const written0 = targetWrittenBytes(t);
    const progress = bar(log, `${t.name} ${opts.scenario}`);
    progress.start(expected, 0);
    const ratePerSender = opts.rate > 0 ? opts.rate / senders : 0;
    drivers.tell({ type: 'go', mode: opts.scenario === 'dialogue' ? 'dialogue' : 'stored', messages: opts.messages, window: opts.window, ratePerSender, runId: `${runId}${t.name}` });
    const toSend = senders * opts.messages;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const { delivered, acked } = drivers.totals();
      progress.update(Math.min(delivered, expected));
      if (delivered >= expected && acked >= toSend) break;
      if (delivered + acked !== last) {
        last = delivered + acked;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) break;
    }
    progress.stop();
    const reports = await drivers.all({ type: 'report' }, 'report');
    const cpu1 = targetCpuMs(t);
    const written1 = targetWrittenBytes(t);
    const wallMs = Math.max(...reports.map((r) => r.wallMs));
    const delivered = reports.reduce((n, r) => n + r.delivered, 0);
    const serverCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    return {
      ...emptyResult(t),
      sent: reports.reduce((n, r) => n + r.sent, 0),
      expected,
      delivered,
      lost: Math.max(0, expected - delivered),
      duplicated: reports.reduce((n, r) => n + r.duplicated, 0),
      outOfOrder: reports.reduce((n, r) => n + r.outOfOrder, 0),
      errors: reports.reduce((n, r) => n + r.errors, 0),
      wallMs,
      throughput: delivered / (wallMs / 1000),
      latency: percentiles(reports.flatMap((r) => r.latenciesMs)),
      serverCpuMs,
      serverRssKb: targetRssKb(t),
      cpuMsPer1000: serverCpuMs !== null && delivered ? (serverCpuMs / delivered) * 1000 : null,
      diskKbPerMessage: written0 !== null && written1 !== null && delivered ? (written1 - written0) / 1024 / delivered : null,
      driverCpu: reports.reduce((n, r) => n + r.cpuMs, 0) / wallMs,
    };
  } finally {
    drivers.close();
  }
}

/** Holds idle authenticated sessions and measures the memory each costs the server. */
async function measureIdle(t: Target, specs: ConnSpec[], opts: BenchOptions, log: (l: string) => void): Promise<TargetResult> {
  // Each driver stays well under the per-process open-file limit.
  const drivers = new Drivers(Math.max(opts.drivers, Math.ceil(specs.length / 8000)));
  try {
    const rss0 = targetRssKb(t);
    log(`${t.name}: opening ${specs.length} idle sessions over ${drivers.count} driver processes`);
    const started = Date.now();
    const failed = await drivers.connect(specs);
    const held = specs.length - failed;
    await new Promise((r) => setTimeout(r, opts.duration * 1000));
    const rss1 = targetRssKb(t);
    return {
      ...emptyResult(t),
      sent: specs.length,
      expected: specs.length,
      delivered: held,
      lost: failed,
      wallMs: Date.now() - started,
      serverRssKb: rss1,
      kbPerSession: rss0 !== null && rss1 !== null && held ? (rss1 - rss0) / held : null,
    };
  } finally {
    drivers.close();
  }
}

/**
 * Token logins, then password logins, each for half the duration, as fast as they go. The
 * floor has no accounts: what it does for half the duration is the least a login socket
 * costs (handshake, a first frame, close), to compare token logins with.
 */
async function measureLogins(t: Target, users: BenchUser[], url: string, opts: BenchOptions, scryptLog2N: number, log: (l: string) => void): Promise<TargetResult> {
  const drivers = new Drivers(opts.drivers);
  try {
    const phase = async (how: 'token' | 'password' | 'connect') => {
      log(`${t.name}: ${how === 'connect' ? 'connections' : `${how} logins`} for ${opts.duration / 2} s`);
      const urls = users.map((u) => (how === 'connect' ? `${wsUrl(url)}/?id=${u.account}` : loginUrl(url, u, how)));
      const parts = drivers.split(urls);
      const cpu0 = targetCpuMs(t);
      // With fewer accounts than drivers, some drivers have none to log in: they sit it out.
      const done = await Promise.all(
        parts.flatMap((part, i) => (part.length ? [drivers.ask(drivers.nth(i), { type: 'logins', urls: part, concurrency: 16, durationMs: (opts.duration * 1000) / 2 }, 'logins-done')] : [])),
      );
      const cpu1 = targetCpuMs(t);
      const wall = Math.max(...done.map((d) => d.wallMs));
      const completed = done.reduce((n, d) => n + d.completed, 0);
      return {
        perSecond: completed / (wall / 1000),
        errors: done.reduce((n, d) => n + d.errors, 0),
        cpu: done.reduce((n, d) => n + d.cpuMs, 0) / wall,
        wall,
        serverCpuMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
        // Server CPU per 1,000 logins, each with its logout.
        cpuMsPer1000: cpu0 !== null && cpu1 !== null && completed ? ((cpu1 - cpu0) / completed) * 1000 : null,
      };
    };
    if (t.name === 'floor') {
      const connect = await phase('connect');
      return {
        ...emptyResult(t),
        errors: connect.errors,
        wallMs: connect.wall,
        throughput: connect.perSecond,
        serverCpuMs: connect.serverCpuMs,
        cpuMsPer1000: connect.cpuMsPer1000,
        serverRssKb: targetRssKb(t),
        driverCpu: connect.cpu,
      };
    }
    const token = await phase('token');
    const password = await phase('password');
    return {
      ...emptyResult(t),
      errors: token.errors + password.errors,
      wallMs: token.wall + password.wall,
      throughput: token.perSecond,
      serverCpuMs: token.serverCpuMs !== null && password.serverCpuMs !== null ? token.serverCpuMs + password.serverCpuMs : null,
      // Token logins only: the password phase is the hash's cost.
      cpuMsPer1000: token.cpuMsPer1000,
      serverRssKb: targetRssKb(t),
      logins: { tokenPerSecond: token.perSecond, passwordPerSecond: password.perSecond, scryptLog2N },
      driverCpu: Math.max(token.cpu, password.cpu),
    };
  } finally {
    drivers.close();
  }
}

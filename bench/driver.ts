import WebSocket from 'ws';
import { nowMicros, readStamp, stamp, Tally } from './accounting.js';
import { probeLogin } from './login-probe.js';

/**
 * A load-generating process. The parent sends it connections to open and a workload; it
 * reports deliveries, latencies and its own CPU use. Several run side by side so the
 * generator is not the bottleneck (and so no process exceeds its open-file limit).
 */
export interface ConnSpec {
  url: string;
  /** Identifies this connection as a sender in stamps. */
  index: number;
  /** What this connection sends to (`toFriend` or `to`); null if it only receives. */
  to: string | null;
}

export type DriverCommand =
  | { type: 'connect'; conns: ConnSpec[] }
  | { type: 'go'; mode: 'dialogue' | 'stored'; messages: number; window: number; ratePerSender: number; runId: string }
  | { type: 'logins'; urls: string[]; concurrency: number; durationMs: number }
  | { type: 'report' }
  | { type: 'close' };

export type DriverReply =
  | { type: 'ready'; connected: number; failed: number }
  | { type: 'progress'; delivered: number; acked: number }
  | { type: 'report'; delivered: number; duplicated: number; outOfOrder: number; errors: number; acked: number; sent: number; latenciesMs: number[]; cpuMs: number; wallMs: number }
  | { type: 'logins-done'; completed: number; errors: number; cpuMs: number; wallMs: number };

interface Conn {
  spec: ConnSpec;
  socket: WebSocket;
  inflight: number;
  sent: number;
}

const conns: Conn[] = [];
const tally = new Tally();
const latencies: number[] = [];
let acked = 0;
let sent = 0;
let errors = 0;
let cpuAtGo = process.cpuUsage();
let wallAtGo = Date.now();
/** When the last delivery or answer arrived: the measured phase ends there, not at the report. */
let lastEventAt = Date.now();
const reply = (message: DriverReply) => process.send!(message);

function open(spec: ConnSpec): Promise<Conn | null> {
  return new Promise((resolve) => {
    const socket = new WebSocket(spec.url, { perMessageDeflate: false });
    const conn: Conn = { spec, socket, inflight: 0, sent: 0 };
    let first = true;
    socket.on('message', (data) => {
      if (first) {
        first = false;
        const login = JSON.parse(data.toString()) as { code?: number };
        resolve(login.code === 200 ? conn : null);
        return;
      }
      onFrame(conn, data.toString());
    });
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
  });
}

function onFrame(conn: Conn, text: string) {
  const frame = JSON.parse(text) as Record<string, unknown>;
  let payload: string | null = null;
  if (frame.statusCode === '300' && frame.code === '2001') {
    // Only this run's messages count: a session opened for a later round is also given
    // what an earlier one left undelivered in its inbox (stored messages are kept until then).
    if (storedPrefix === null || !String(frame.messageId).startsWith(storedPrefix)) return;
    payload = Buffer.from(String(frame.text), 'base64').toString();
  }
  else if (frame.from !== undefined && frame.payload !== undefined && frame.code === undefined) payload = String(frame.payload);
  if (payload !== null) {
    const s = readStamp(payload);
    if (!s) return;
    tally.record(s.s, s.n, conn.spec.index);
    lastEventAt = Date.now();
    latencies.push((nowMicros() - s.t) / 1000);
    return;
  }
  const isAck = (frame.code === 200 && frame.id !== undefined) || (frame.statusCode === '200' && frame.messageId !== undefined);
  const isError = (typeof frame.code === 'number' && frame.code !== 200 && frame.id !== undefined) || (typeof frame.statusCode === 'string' && !['200', '300', '100'].includes(frame.statusCode));
  if (isAck || isError) {
    if (isError) errors++;
    acked++;
    lastEventAt = Date.now();
    conn.inflight--;
    pump?.(conn);
  }
}

let pump: ((conn: Conn) => void) | null = null;
/** The messageId prefix of this run's stored messages; null before the run starts. */
let storedPrefix: string | null = null;

function go(cmd: Extract<DriverCommand, { type: 'go' }>) {
  cpuAtGo = process.cpuUsage();
  wallAtGo = Date.now();
  storedPrefix = `${cmd.runId}-`;
  const send = (conn: Conn) => {
    const n = conn.sent++;
    conn.inflight++;
    sent++;
    const body = stamp(conn.spec.index, n);
    conn.socket.send(
      cmd.mode === 'dialogue'
        ? JSON.stringify({ id: `${conn.spec.index}-${n}`, toFriend: conn.spec.to, payload: body })
        : JSON.stringify({ messageId: `${cmd.runId}-${conn.spec.index}-${n}`, code: '2001', to: conn.spec.to, text: Buffer.from(body).toString('base64') }),
    );
  };
  const senders = conns.filter((c) => c.spec.to !== null);
  if (cmd.ratePerSender <= 0) {
    // As fast as the window allows: keep `window` unanswered, send one per answer.
    pump = (conn) => {
      while (conn.spec.to !== null && conn.sent < cmd.messages && conn.inflight < cmd.window) send(conn);
    };
    for (const conn of senders) pump(conn);
    return;
  }
  // A fixed offered rate: each sender sends on its own schedule, the window permitting.
  const intervalMs = 1000 / cmd.ratePerSender;
  pump = null;
  senders.forEach((conn, i) => {
    const start = performance.now() + (i * intervalMs) / senders.length;
    const tick = () => {
      if (conn.sent >= cmd.messages) return;
      if (conn.inflight < cmd.window) send(conn);
      setTimeout(tick, Math.max(0, start + conn.sent * intervalMs - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}

async function logins(cmd: Extract<DriverCommand, { type: 'logins' }>) {
  const cpu = process.cpuUsage();
  const started = Date.now();
  const deadline = started + cmd.durationMs;
  let completed = 0;
  let failed = 0;
  let next = 0;
  const targets = cmd.urls.map((u) => new URL(u));
  const worker = async () => {
    while (Date.now() < deadline) {
      const outcome = await probeLogin(targets[next++ % targets.length]!);
      if (outcome === 'ok') completed++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, worker));
  const used = process.cpuUsage(cpu);
  reply({ type: 'logins-done', completed, errors: failed, cpuMs: (used.user + used.system) / 1000, wallMs: Date.now() - started });
}

process.on('message', async (cmd: DriverCommand) => {
  switch (cmd.type) {
    case 'connect': {
      let failed = 0;
      // Open in batches: a burst of thousands of handshakes at once only measures the backlog.
      for (let i = 0; i < cmd.conns.length; i += 200) {
        const opened = await Promise.all(cmd.conns.slice(i, i + 200).map(open));
        for (const c of opened) (c ? conns.push(c) : failed++);
      }
      reply({ type: 'ready', connected: conns.length, failed });
      break;
    }
    case 'go':
      go(cmd);
      setInterval(() => reply({ type: 'progress', delivered: tally.delivered, acked }), 250).unref();
      break;
    case 'logins':
      await logins(cmd);
      break;
    case 'report': {
      const used = process.cpuUsage(cpuAtGo);
      reply({
        type: 'report', delivered: tally.delivered, duplicated: tally.duplicated, outOfOrder: tally.outOfOrder, errors, acked, sent,
        latenciesMs: latencies, cpuMs: (used.user + used.system) / 1000, wallMs: Math.max(1, lastEventAt - wallAtGo),
      });
      break;
    }
    case 'close':
      for (const c of conns) c.socket.terminate();
      process.exit(0);
  }
});

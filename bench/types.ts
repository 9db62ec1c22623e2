/** The benchmark's scenarios (see docs/performance.md). */
export type Scenario = 'dialogue' | 'stored' | 'group' | 'idle' | 'login';
export const SCENARIOS: readonly Scenario[] = ['dialogue', 'stored', 'group', 'idle', 'login'];

export interface BenchOptions {
  scenario: Scenario;
  /** Users taking part (dialogue/stored: paired up; group: members + 1 sender; login: accounts used). */
  users: number;
  /** Messages each sender sends. */
  messages: number;
  /** Messages a sender may have unanswered at once. */
  window: number;
  /** Offered messages per second over all senders; 0 = as fast as the window allows. */
  rate: number;
  /** Seconds to hold idle sessions / to run logins. */
  duration: number;
  /** Receiving members of the group (group scenario). */
  groupSize: number;
  /** Idle sessions (idle scenario). */
  sessions: number;
  /** Driver processes generating the load. */
  drivers: number;
  /**
   * Times the workload is run, each time on monami and then on the floor, on the same
   * processes; the summary is the median round (see `BenchResult.rounds`).
   */
  rounds: number;
  /** Run against a monami already running there instead of starting one. */
  url: string | null;
  /** Its process id, to read its CPU time and memory (only with --url). */
  serverPid: number | null;
  /** Also measure the raw-relay floor with the same workload. */
  floor: boolean;
  /** postgres:// URL for the server the bench starts; SQLite otherwise. */
  databaseUrl: string | null;
  /** Nodes the bench starts (more than one needs databaseUrl and redisUrl); sessions are spread over them. */
  nodes: number;
  /** redis:// URL the nodes share when there are several. */
  redisUrl: string;
  json: string | null;
  plot: string | null;
}

/** Latency figures in milliseconds. */
export interface Latency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Sorted sample of at most 2,000 latencies (ms) for plotting the distribution. */
  sample: number[];
}

/** What one target (monami or the floor) did under the workload. */
export interface TargetResult {
  target: 'monami' | 'floor';
  /** Messages the senders sent (or logins attempted). */
  sent: number;
  /** Deliveries expected (messages × receivers). */
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Answers with an error code. */
  errors: number;
  wallMs: number;
  /** Delivered messages (or completed logins) per second. */
  throughput: number;
  latency: Latency | null;
  /** CPU time the server process used during the measured phase; null if unknown. */
  serverCpuMs: number | null;
  serverRssKb: number | null;
  /** Server CPU-ms per 1,000 delivered messages (login: per 1,000 token logins with their logouts; the floor: per 1,000 connections). */
  cpuMsPer1000: number | null;
  /** KB the server's processes wrote to storage per delivered message (dialogue, stored, group); null where unknown. */
  diskKbPerMessage: number | null;
  /** idle: resident memory added per held session. */
  kbPerSession: number | null;
  /** login: separate figures for the two ways in. */
  logins: { tokenPerSecond: number; passwordPerSecond: number; scryptLog2N: number } | null;
  /** Share of one core the load generator used (1.0 = a full core); near drivers × 1.0 means the driver was the bottleneck. */
  driverCpu: number;
}

/** One run of the workload on each target, with its monami ÷ floor ratios. */
export interface RoundResult {
  results: TargetResult[];
  ratios: Record<string, number> | null;
}

export interface BenchResult {
  schema: 'monami-bench/1';
  scenario: Scenario;
  options: BenchOptions;
  startedAt: string;
  machine: { cpus: number; node: string; platform: string };
  /** The store the started server used ('external' with --url). */
  store: 'sqlite' | 'postgres' | 'external';
  /** The median round's results (all of them with one round). */
  results: TargetResult[];
  /** monami ÷ floor for each figure both have (throughput, latency p50/p99, CPU per 1000, KB per session), of the median round. */
  ratios: Record<string, number> | null;
  /** Every round, in the order run; `median` is the index of the one `results` and `ratios` come from. */
  rounds: RoundResult[];
  median: number;
}

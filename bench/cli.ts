#!/usr/bin/env node
import fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { latencySvg, resultJson, summaryTable } from './report.js';
import { runBench } from './run.js';
import { SCENARIOS, type BenchOptions, type Scenario } from './types.js';

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

/** `monami bench` / `npm run bench --`: measure monami against the raw-relay floor. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure monami under load, beside the raw-relay floor driven by the same generator')
    .addOption(new Option('--scenario <name>', 'workload').choices(SCENARIOS as string[]).default('dialogue'))
    .option('--users <n>', 'users (dialogue/stored: paired; login: accounts used)', positive, 1000)
    .option('--messages <n>', 'messages per sender', positive, 200)
    .option('--window <n>', 'unanswered messages a sender may have', positive, 10)
    .option('--rate <n>', 'offered messages per second over all senders (0 = as fast as possible)', positive, 0)
    .option('--duration <s>', 'seconds to hold idle sessions / to run logins', positive, 10)
    .option('--group-size <n>', 'receiving members of the group', positive, 1000)
    .option('--sessions <n>', 'idle sessions', positive, 15000)
    .option('--drivers <n>', 'load-generator processes', positive, 2)
    .option('--rounds <n>', 'run the workload this many times, alternating monami and the floor; the summary shows the median round', positive, 1)
    .option('--url <url>', 'measure a monami already running there (http://host:port)')
    .option('--server-pid <pid>', 'its process id, to read its CPU time and memory', positive)
    .option('--database-url <url>', 'postgres:// URL for the server the bench starts (default SQLite)')
    .option('--nodes <n>', 'monami nodes to start, one deployment on --database-url and --redis-url; sessions are spread over them', positive, 1)
    .option('--redis-url <url>', 'redis:// URL the nodes share (with --nodes above 1)', 'redis://127.0.0.1:6379')
    .option('--no-floor', 'skip the raw-relay floor')
    .option('--json <file>', 'write the result as JSON (schema monami-bench/1)')
    .option('--plot <file>', 'write the latency distributions as SVG')
    .action(async (flags) => {
      const options: BenchOptions = {
        scenario: flags.scenario as Scenario,
        users: flags.users, messages: flags.messages, window: Math.max(1, flags.window), rate: flags.rate,
        duration: flags.duration, groupSize: flags.groupSize, sessions: flags.sessions, drivers: Math.max(1, flags.drivers), rounds: Math.max(1, flags.rounds),
        url: flags.url ?? null, serverPid: flags.serverPid ?? null, floor: flags.floor, databaseUrl: flags.databaseUrl ?? null,
        nodes: Math.max(1, flags.nodes), redisUrl: flags.redisUrl,
        json: flags.json ?? null, plot: flags.plot ?? null,
      };
      if (options.nodes > 1 && !options.databaseUrl) throw new InvalidArgumentError('--nodes above 1 needs --database-url (PostgreSQL): SQLite serves one node');
      if (options.scenario === 'login' && options.users < 1) throw new InvalidArgumentError('the login scenario needs --users of at least 1');
      if ((options.scenario === 'dialogue' || options.scenario === 'stored') && options.users < 2) {
        throw new InvalidArgumentError(`the ${options.scenario} scenario pairs its users: it needs --users of at least 2`);
      }
      if (options.scenario === 'login' && options.url && !/^http:\/\//i.test(options.url)) {
        throw new InvalidArgumentError('the login scenario opens plain ws:// sockets: give --url the server\'s own http:// address, not a TLS front');
      }
      const result = await runBench(options);
      process.stdout.write(`${summaryTable(result)}\n`);
      if (options.json) fs.writeFileSync(options.json, resultJson(result));
      if (options.plot) fs.writeFileSync(options.plot, latencySvg(result));
      const clean = result.results.every((r) => r.lost === 0 && r.duplicated === 0 && r.outOfOrder === 0);
      process.exitCode = clean ? 0 : 3;
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchCommand().parseAsync(['node', 'bench', ...process.argv.slice(2)]);
}

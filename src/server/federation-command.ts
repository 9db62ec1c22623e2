import { Command } from 'commander';
import { openStore } from '../store/connect.js';
import type { PeerRule } from '../store/federation-store.js';
import { configFromEnv } from './config.js';

interface StoreFlags {
  dataDir?: string;
  databaseUrl?: string;
}

/** The configuration, or exit 2 with the reason (as `monami serve` does). */
function configOrExit(env: Record<string, string | undefined>) {
  try {
    return configFromEnv(env);
  } catch (err) {
    console.error(`monami: ${(err as Error).message}`);
    process.exit(2);
  }
}

/** The deployment's store, from the same flags and variables as `monami serve`. */
async function withStore<T>(flags: StoreFlags, work: (store: ReturnType<typeof openStore>) => Promise<T>): Promise<T> {
  const config = configOrExit({
    ...process.env,
    ...(flags.dataDir ? { MONAMI_DATA_DIR: flags.dataDir } : {}),
    ...(flags.databaseUrl ? { DATABASE_URL: flags.databaseUrl } : {}),
  });
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}

const DOMAIN = /^[a-z0-9.\-[\]:]{1,300}$/;

/** A server domain as given on the command line, lower-cased, or exit 2. */
function domainOrExit(domain: string): string {
  const d = domain.toLowerCase();
  if (!DOMAIN.test(d)) {
    console.error(`monami: "${domain}" is not a server domain (host or host:port)`);
    process.exit(2);
  }
  return d;
}

function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'folder of the SQLite database (env MONAMI_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres:// URL (env DATABASE_URL)');
}

/**
 * `monami federation list | allow | block | forget | outbox | drop`: the rules a running
 * server rereads within seconds, and what waits in the outbox for each server (a frame
 * that can never be delivered holds every frame behind it for that server: `drop` is the
 * operator's way out).
 */
export function federationCommand(): Command {
  const command = new Command('federation').description('list, allow and block remote servers; inspect and empty their queues');

  storeOptions(command.command('list'))
    .description('remote servers with a rule or frames waiting for them')
    .action(async (flags: StoreFlags) => {
      const config = configOrExit(process.env);
      await withStore(flags, async (store) => {
        const fed = store.federation();
        const [rules, depths] = await Promise.all([fed.peerRules(), fed.outboxDepths()]);
        for (const d of config.federation.allow) if (!rules.has(d)) rules.set(d, 'allow');
        for (const d of config.federation.block) rules.set(d, 'block');
        const domains = [...new Set([...rules.keys(), ...depths.keys()])].sort();
        console.log(`mode: ${config.federation.mode}`);
        if (domains.length === 0) return console.log('no remote server has a rule or waiting frames');
        console.log(['server'.padEnd(40), 'rule'.padEnd(8), 'waiting'].join(' '));
        for (const d of domains) console.log([d.padEnd(40), (rules.get(d) ?? '-').padEnd(8), String(depths.get(d) ?? 0)].join(' '));
      });
    });

  storeOptions(command.command('outbox <domain>'))
    .description('the frames waiting for a server, oldest first')
    .option('--limit <n>', 'show at most this many', '50')
    .action(async (domain: string, flags: StoreFlags & { limit: string }) => {
      const d = domainOrExit(domain);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        console.error('monami: --limit must be a positive integer');
        process.exit(2);
      }
      await withStore(flags, async (store) => {
        const fed = store.federation();
        const [entries, depths] = await Promise.all([fed.pending(d, 0, limit), fed.outboxDepths()]);
        const waiting = depths.get(d) ?? 0;
        if (waiting === 0) return console.log(`${d}: nothing waiting`);
        console.log(`${d}: ${waiting} waiting${waiting > entries.length ? `, the oldest ${entries.length}` : ''}`);
        console.log(['id'.padEnd(10), 'queued at'.padEnd(24), 'code'.padEnd(5), 'from'.padEnd(40), 'messageId'].join(' '));
        for (const e of entries) {
          const field = (name: string) => (typeof e.frame[name] === 'string' || typeof e.frame[name] === 'number' ? String(e.frame[name]) : '-');
          console.log([String(e.id).padEnd(10), new Date(e.createdAt).toISOString().padEnd(24), field('code').padEnd(5), field('from').padEnd(40), field('messageId')].join(' '));
        }
      });
    });

  storeOptions(command.command('drop <domain> [ids...]'))
    .description('take frames out of a server\'s queue unsent (the ids `outbox` shows, or --all); their senders are not told')
    .option('--all', 'every frame waiting for that server')
    .action(async (domain: string, ids: string[], flags: StoreFlags & { all?: boolean }) => {
      const d = domainOrExit(domain);
      const numbers = ids.map(Number);
      if (flags.all ? ids.length > 0 : ids.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
        console.error('monami: give the ids of frames (as `monami federation outbox` lists them), or --all and no ids');
        process.exit(2);
      }
      const dropped = await withStore(flags, (store) => store.federation().dropFromOutbox(d, flags.all ? 'all' : numbers));
      console.log(`${d}: ${dropped} dropped`);
    });

  const rule = (name: string, value: PeerRule | null, description: string) =>
    storeOptions(command.command(`${name} <domain>`))
      .description(description)
      .action(async (domain: string, flags: StoreFlags) => {
        const d = domainOrExit(domain);
        await withStore(flags, (store) => store.federation().setPeerRule(d, value));
        console.log(value ? `${d}: ${value}` : `${d}: no rule`);
      });
  rule('allow', 'allow', 'allow a server (needed in MONAMI_FEDERATION=allowlist mode)');
  rule('block', 'block', 'refuse a server: nothing is sent to it (frames wait), no links from it');
  rule('forget', null, 'remove the rule for a server');
  return command;
}

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

function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'folder of the SQLite database (env MONAMI_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres:// URL (env DATABASE_URL)');
}

/**
 * `monami federation list | allow <domain> | block <domain> | forget <domain>`: the rules a
 * running server rereads within seconds, and what waits in the outbox for each server.
 */
export function federationCommand(): Command {
  const command = new Command('federation').description('list, allow and block remote servers');

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

  const rule = (name: string, value: PeerRule | null, description: string) =>
    storeOptions(command.command(`${name} <domain>`))
      .description(description)
      .action(async (domain: string, flags: StoreFlags) => {
        const d = domain.toLowerCase();
        if (!DOMAIN.test(d)) {
          console.error(`monami: "${domain}" is not a server domain (host or host:port)`);
          process.exit(2);
        }
        await withStore(flags, (store) => store.federation().setPeerRule(d, value));
        console.log(value ? `${d}: ${value}` : `${d}: no rule`);
      });
  rule('allow', 'allow', 'allow a server (needed in MONAMI_FEDERATION=allowlist mode)');
  rule('block', 'block', 'refuse a server: nothing is sent to it (frames wait), no links from it');
  rule('forget', null, 'remove the rule for a server');
  return command;
}

#!/usr/bin/env node
import { Command } from 'commander';
import { benchCommand } from '../bench/cli.js';
import { createMonami } from './server/app.js';
import { configFromEnv } from './server/config.js';
import { federationCommand } from './server/federation-command.js';

/** Flags override the environment variable of the same meaning. */
const flagToEnv: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'MONAMI_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  domain: 'MONAMI_DOMAIN',
  logLevel: 'LOG_LEVEL',
};

const program = new Command('monami').description('monami instant-messaging server');

program
  .command('serve')
  .description('run the server (HTTP, WebSocket and the web client)')
  .option('--port <port>', 'TCP port (env PORT, default 8080)')
  .option('--host <host>', 'address to bind (env HOST, default 0.0.0.0)')
  .option('--data-dir <dir>', 'folder of the SQLite database (env MONAMI_DATA_DIR, default ./data)')
  .option('--database-url <url>', 'postgres:// URL to use PostgreSQL instead of SQLite (env DATABASE_URL)')
  .option('--domain <domain>', 'domain of local Monster addresses (env MONAMI_DOMAIN, default localhost)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)')
  .action(async (flags: Record<string, string | undefined>) => {
    const env = { ...process.env };
    for (const [flag, name] of Object.entries(flagToEnv)) if (flags[flag] !== undefined) env[name] = flags[flag];
    let config;
    try {
      config = configFromEnv(env);
    } catch (err) {
      console.error(`monami: ${(err as Error).message}`);
      process.exit(2);
    }
    const monami = await createMonami(config);
    const shutdown = (signal: string) => {
      monami.app.log.info({ signal }, 'shutting down');
      monami.close().then(
        () => process.exit(0),
        (err) => {
          monami.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    const address = await monami.listen();
    monami.app.log.info(`monami serving ${address}/im/www/v1/chat.html (domain ${config.domain}, ${monami.store.kind} store)`);
  });

program.addCommand(federationCommand());
program.addCommand(benchCommand());

program.parseAsync().catch((err) => {
  console.error(err);
  process.exit(1);
});

import net from 'node:net';
import type { Backend } from './backends.js';
import { startServer, type TestServer } from './server.js';

/** A port free right now on 127.0.0.1 (a server's domain must name its port before it listens). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface FederatedServer extends TestServer {
  domain: string;
  port: number;
}

/**
 * A server whose domain is `127.0.0.1:<port>`, federating over plain ws/http with loopback
 * allowed (explicitly: the default refuses it), retrying failed deliveries quickly.
 */
export async function startFederatedServer(backend: Backend, env: Record<string, string> = {}, port?: number): Promise<FederatedServer> {
  const p = port ?? (await freePort());
  const domain = `127.0.0.1:${p}`;
  const server = await startServer(backend, {
    PORT: String(p),
    MONAMI_DOMAIN: domain,
    MONAMI_FEDERATION_TLS: 'false',
    MONAMI_FEDERATION_ALLOW_PRIVATE: 'true',
    MONAMI_FEDERATION_RETRY_BASE_MS: '50',
    MONAMI_FEDERATION_RETRY_MAX_SECONDS: '1',
    MONAMI_FEDERATION_TIMEOUT_SECONDS: '5',
    ...env,
  });
  return { ...server, domain, port: p };
}

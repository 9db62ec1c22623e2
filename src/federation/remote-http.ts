import http from 'node:http';
import https from 'node:https';
import { AddressGuard } from './guard.js';

export interface Transport {
  /** https/wss when true; plain http/ws only where the operator said so (tests, private networks). */
  tls: boolean;
  guard: AddressGuard;
  timeoutMs: number;
}

const MAX_DOCUMENT_BYTES = 64 * 1024;

/** Splits "host" or "host:port" (IPv6 in brackets). */
export function splitDomain(domain: string): { host: string; port: number | null } {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(domain)!;
  return { host: m[1]!, port: m[2] ? Number(m[2]) : null };
}

/**
 * GETs a small JSON document from a remote server: through the address guard, with a
 * timeout, refusing redirects and anything larger than 64 KiB.
 */
export async function getRemoteJson(transport: Transport, domain: string, path: string): Promise<unknown> {
  const { host } = splitDomain(domain);
  const resolved = await transport.guard.resolve(host);
  const url = `${transport.tls ? 'https' : 'http'}://${domain}${path}`;
  const client = transport.tls ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { lookup: AddressGuard.pinned(resolved), timeout: transport.timeoutMs, headers: { accept: 'application/json' } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`${url} answered HTTP ${response.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) {
          request.destroy(new Error(`${url} sent more than ${MAX_DOCUMENT_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error(`${url} did not send JSON`));
        }
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${url} timed out`)));
    request.on('error', reject);
  });
}

import type { FastifyPluginAsync } from 'fastify';

export interface ClientSettings {
  /** STUN/TURN servers the browser client gives WebRTC, as RTCIceServer objects. */
  iceServers: unknown[];
  recallWindowSeconds: number;
}

/** Reads MONAMI_ICE_SERVERS: a JSON list of RTCIceServer objects (`{"urls": …}`), or nothing. */
export function parseIceServers(raw: string | undefined): unknown[] {
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new Error('MONAMI_ICE_SERVERS must be JSON: a list of {"urls": …} objects');
  }
  const valid = (s: unknown) => {
    const urls = (s as { urls?: unknown })?.urls;
    return typeof urls === 'string' || (Array.isArray(urls) && urls.every((u) => typeof u === 'string'));
  };
  if (!Array.isArray(list) || !list.every(valid)) throw new Error('MONAMI_ICE_SERVERS must be a list of {"urls": …} objects');
  return list;
}

/**
 * What the browser client needs to know of this deployment, read when the page starts:
 * operators change TURN servers or the recall window without rebuilding the client.
 */
export const clientSettingsRoute: FastifyPluginAsync<ClientSettings> = async (app, settings) => {
  app.get('/im/client.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(settings));
};

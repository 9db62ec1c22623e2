/** What the server tells the client about its deployment (GET /im/client.json). */
export interface ClientSettings {
  /** STUN/TURN servers for calls; none means calls connect on one host or network only. */
  iceServers: RTCIceServer[];
  /** How long after sending a message its sender may recall it. */
  recallWindowMs: number;
}

export const settings: ClientSettings = { iceServers: [], recallWindowMs: 120_000 };

/** Reads the server's settings; the defaults stand when it cannot be read. */
export async function loadSettings(): Promise<void> {
  try {
    // The page is /im/www/v1/chat.html; the settings are /im/client.json.
    const response = await fetch(new URL('../../client.json', document.baseURI), { cache: 'no-cache' });
    if (!response.ok) return;
    const body = (await response.json()) as { iceServers?: unknown; recallWindowSeconds?: unknown };
    if (Array.isArray(body.iceServers)) settings.iceServers = body.iceServers as RTCIceServer[];
    if (typeof body.recallWindowSeconds === 'number' && body.recallWindowSeconds >= 0) settings.recallWindowMs = body.recallWindowSeconds * 1000;
  } catch {
    // Defaults.
  }
}

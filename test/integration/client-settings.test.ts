import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/server/config.js';
import { serverForSuite } from '../support/server.js';

describe('the settings the browser client reads at start', () => {
  const ice = [{ urls: 'stun:stun.example.org:3478' }, { urls: ['turn:turn.example.org'], username: 'u', credential: 'c' }];
  const suite = serverForSuite('sqlite', { MONAMI_ICE_SERVERS: JSON.stringify(ice), MONAMI_RECALL_WINDOW_SECONDS: '300' });

  it('serves the TURN/STUN servers and the recall window from the configuration', async () => {
    const response = await fetch(`${suite.server.url}/im/client.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ iceServers: ice, recallWindowSeconds: 300 });
  });

  it('refuses a malformed MONAMI_ICE_SERVERS at start', () => {
    for (const bad of ['stun:x', '{"urls":"stun:x"}', '[{"url":"stun:x"}]', '[{"urls":[1]}]']) {
      expect(() => configFromEnv({ MONAMI_ICE_SERVERS: bad })).toThrow(/MONAMI_ICE_SERVERS/);
    }
    expect(configFromEnv({}).iceServers).toEqual([]);
  });
});

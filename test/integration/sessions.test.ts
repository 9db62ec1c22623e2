import { describe, expect, it } from 'vitest';
import { AccountKind } from '../../src/domain/account.js';
import { LocalBus } from '../../src/bus/local-bus.js';
import { SessionService, type Transport } from '../../src/service/sessions.js';
import { openStore } from '../../src/store/connect.js';
import type { AccountRecord, Store } from '../../src/store/store.js';
import { createBackend } from '../support/backends.js';

const transport: Transport = { send: () => true, close: () => {} };

describe('opening a session', () => {
  it('leaves nothing registered when a step after registration fails', async () => {
    const backend = await createBackend('sqlite');
    const real = openStore({ dataDir: backend.dataDir });
    await real.migrate();
    const account: AccountRecord = {
      id: 'c'.repeat(32), account: 'carol', kind: AccountKind.Person, name: 'Carol', picture: '', sex: '', birthday: '', sign: '',
      mail: 'c@example.org', createdAt: 0, policy: 'approve', publicFields: [], passwordHash: 'x', passCodeHash: '',
    };
    await real.createAccount(account);
    // The real store, with the snapshot failing (as when the database goes away mid-login).
    const failing: Store = Object.create(real, { sessionStart: { value: async () => Promise.reject(new Error('database gone')) } });
    const bus = new LocalBus();
    const sessions = new SessionService(failing, bus, 10);
    await expect(sessions.open(account, transport)).rejects.toThrow('database gone');
    expect(await bus.online([account.id])).toEqual(new Set());
    expect(bus.localSessions(account.id)).toEqual([]);

    const working = new SessionService(real, bus, 10);
    const { session } = await working.open(account, transport);
    expect(bus.localSessions(account.id)).toEqual([session]);
    await real.close();
    await backend.drop();
  });
});

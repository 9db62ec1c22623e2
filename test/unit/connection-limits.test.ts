import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/server/config.js';
import { defaultMaxConnections, RESERVED_FILES } from '../../src/server/connection-limits.js';

const limits = (soft: string, hard: string) => `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     
Max locked memory         8388608              8388608              bytes     
`;

describe('the default connection limit of a node', () => {
  it('leaves the process its own files out of the soft open-file limit', () => {
    expect(defaultMaxConnections(limits('20000', '20000'))).toBe(20000 - RESERVED_FILES);
    expect(defaultMaxConnections(limits('1024', '524288'))).toBe(1024 - RESERVED_FILES);
    expect(defaultMaxConnections(limits('100', '100'))).toBe(1);
  });

  it('has a fixed default where the limit cannot be read, and a large one where there is none', () => {
    expect(defaultMaxConnections(null)).toBe(10_000);
    expect(defaultMaxConnections('no such line')).toBe(10_000);
    expect(defaultMaxConnections(limits('unlimited', 'unlimited'))).toBe(1_000_000);
  });

  it('is read from the environment, and a value out of range is refused at start', () => {
    expect(configFromEnv({ MONAMI_MAX_CONNECTIONS: '5000', MONAMI_MAX_CONNECTIONS_PER_ADDRESS: '20' }).connectionLimits).toEqual({ total: 5000, perAddress: 20 });
    expect(configFromEnv({}).connectionLimits.perAddress).toBe(1000);
    expect(() => configFromEnv({ MONAMI_MAX_CONNECTIONS: '0' })).toThrow(/MONAMI_MAX_CONNECTIONS must be an integer/);
    expect(() => configFromEnv({ MONAMI_MAX_CONNECTIONS_PER_ADDRESS: 'lots' })).toThrow(/MONAMI_MAX_CONNECTIONS_PER_ADDRESS must be an integer/);
  });
});

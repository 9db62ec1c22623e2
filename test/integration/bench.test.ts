import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFloor } from '../../bench/floor.js';
import type { ConnSpec } from '../../bench/driver.js';
import { benchCommand } from '../../bench/cli.js';
import { startFloorProcess } from '../../bench/processes.js';
import { measureFlow, runBench } from '../../bench/run.js';
import type { BenchOptions } from '../../bench/types.js';

const options = (over: Partial<BenchOptions> = {}): BenchOptions => ({
  scenario: 'dialogue', users: 10, messages: 20, window: 5, rate: 0, duration: 2, groupSize: 5, sessions: 10, drivers: 1, rounds: 1,
  url: null, serverPid: null, floor: true, databaseUrl: null, nodes: 1, redisUrl: 'redis://127.0.0.1:6379', json: null, plot: null, ...over,
});
const quiet = () => {};

/** Ten connections in five pairs, each sending to its partner, against a floor with the given faults. */
async function throughFloor(faults: { dropEvery?: number; duplicateEvery?: number }, scenario: 'dialogue' | 'stored') {
  const floor = await startFloorProcess(faults);
  try {
    const ws = floor.url.replace(/^http/, 'ws');
    const specs: ConnSpec[] = Array.from({ length: 10 }, (_, i) => ({ url: `${ws}/?id=u${i}`, index: i, to: `u${i ^ 1}` }));
    return await measureFlow({ name: 'floor', running: floor, pids: [floor.pid] }, specs, 10, 10 * 20, options({ scenario }), 't', quiet, 1500);
  } finally {
    await floor.stop();
  }
}

describe('the benchmark’s accounting', () => {
  it('reports a clean relay as clean', async () => {
    const r = await throughFloor({}, 'dialogue');
    expect([r.delivered, r.lost, r.duplicated, r.outOfOrder, r.errors]).toEqual([200, 0, 0, 0, 0]);
    expect(r.latency?.count).toBe(200);
    expect(r.serverCpuMs).not.toBeNull();
  });

  it('catches a relay that drops messages', async () => {
    const r = await throughFloor({ dropEvery: 25 }, 'stored');
    expect(r.lost).toBe(8);
    expect(r.delivered).toBe(192);
  });

  it('catches a relay that delivers some messages twice', async () => {
    const r = await throughFloor({ duplicateEvery: 40 }, 'dialogue');
    expect(r.duplicated).toBe(5);
    expect(r.lost).toBe(0);
  });

  it('refuses a paired scenario without a pair of users', async () => {
    for (const scenario of ['dialogue', 'stored']) {
      for (const users of ['0', '1']) {
        await expect(benchCommand().parseAsync(['node', 'bench', '--scenario', scenario, '--users', users])).rejects.toThrow(/at least 2/);
      }
    }
  });

  it('runs a whole scenario against monami and the floor, with ratios', async () => {
    const result = await runBench(options({ users: 6, messages: 5 }), quiet);
    const [monami, floor] = result.results;
    expect(monami).toMatchObject({ target: 'monami', expected: 30, delivered: 30, lost: 0, duplicated: 0, outOfOrder: 0, errors: 0 });
    expect(floor).toMatchObject({ target: 'floor', delivered: 30, lost: 0 });
    expect(result.ratios?.throughput).toBeGreaterThan(0);
    expect(result.store).toBe('sqlite');
  });

  it('counts token and password logins on monami, and bare connections on the floor, without errors, with more drivers than accounts', async () => {
    const result = await runBench(options({ scenario: 'login', users: 1, drivers: 2, duration: 2 }), quiet);
    const [monami, floor] = result.results;
    expect(monami!.errors).toBe(0);
    expect(monami!.logins?.tokenPerSecond).toBeGreaterThan(0);
    expect(monami!.logins?.passwordPerSecond).toBeGreaterThan(0);
    expect(monami!.logins?.scryptLog2N).toBe(15);
    expect(floor!.errors).toBe(0);
    expect(floor!.throughput).toBeGreaterThan(0);
  });

  it('runs several rounds on the same processes, each with its own floor run, and shows the median one', async () => {
    const result = await runBench(options({ scenario: 'stored', users: 6, messages: 5, rounds: 3 }), quiet);
    expect(result.rounds).toHaveLength(3);
    for (const round of result.rounds) {
      expect(round.results.map((r) => [r.target, r.delivered, r.lost, r.duplicated, r.errors])).toEqual([['monami', 30, 0, 0, 0], ['floor', 30, 0, 0, 0]]);
      expect(round.ratios?.throughput).toBeGreaterThan(0);
      // Both commit every stored message to the disk before answering it: each wrote something.
      for (const r of round.results) expect(r.diskKbPerMessage, r.target).toBeGreaterThan(0);
    }
    expect(result.results).toBe(result.rounds[result.median]!.results);
  });

  it('has the durable floor answer and forward a stored message only once it is in its file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-test-'));
    const floor = await startFloor(0, { dropEvery: 0, duplicateEvery: 0, durableDir: dir });
    const open = async (id: string) => {
      const socket = new WebSocket(`ws://127.0.0.1:${floor.port}/?id=${id}`);
      const frames: Record<string, unknown>[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(String(data))));
      await new Promise((resolve) => socket.once('open', resolve));
      return { socket, frames };
    };
    try {
      const [a, b] = [await open('a'), await open('b')];
      const inFile = () => fs.readFileSync(path.join(dir, 'floor.log'), 'utf8');
      const seenWhenAnswered = new Promise<string>((resolve) =>
        a.socket.on('message', (data) => String(data).includes('"statusCode":"200"') && resolve(inFile())),
      );
      a.socket.send(JSON.stringify({ code: '2001', messageId: 'm-1', to: 'b', text: 'aGk=' }));
      expect(await seenWhenAnswered).toContain('"messageId":"m-1"');
      await expect.poll(() => b.frames.some((f) => f.messageId === 'm-1')).toBe(true);

      a.socket.send(JSON.stringify({ toFriend: 'b', id: 7, payload: 'live' })); // a dialogue: not written
      await expect.poll(() => b.frames.some((f) => f.payload === 'live')).toBe(true);
      expect(inFile().trim().split('\n')).toHaveLength(1);
      for (const s of [a.socket, b.socket]) s.close();
    } finally {
      await floor.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { computeRatios, latencySvg, medianRound, percentiles, resultJson, summaryTable } from '../../bench/report.js';
import type { BenchOptions, BenchResult, Latency, Scenario, TargetResult } from '../../bench/types.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function latency(p50: number, p90: number, p99: number, max: number): Latency {
  return { count: 1_000, p50, p90, p99, max, sample: [p50 / 2, p50, p90, p99, max] };
}

function target(name: 'monami' | 'floor', overrides: Partial<TargetResult> = {}): TargetResult {
  return {
    target: name,
    sent: 10_000,
    expected: 10_000,
    delivered: 10_000,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    errors: 0,
    wallMs: 1_000,
    throughput: name === 'monami' ? 12_345.6 : 24_691.2,
    latency: name === 'monami' ? latency(2.5, 6, 45.67, 1_234.4) : latency(1.25, 3, 9.5, 20),
    serverCpuMs: 800,
    serverRssKb: 102_400,
    cpuMsPer1000: name === 'monami' ? 80 : 20,
    diskKbPerMessage: name === 'monami' ? 23.2 : 0.9,
    kbPerSession: null,
    logins: null,
    driverCpu: 0.5,
    ...overrides,
  };
}

function options(overrides: Partial<BenchOptions> = {}): BenchOptions {
  return {
    scenario: 'dialogue', users: 100, messages: 1_000, window: 10, rate: 0, duration: 10, groupSize: 50, sessions: 10_000,
    drivers: 1, rounds: 1, url: null, serverPid: null, floor: true, databaseUrl: null, nodes: 1, redisUrl: 'redis://127.0.0.1:6379', json: null, plot: null, ...overrides,
  };
}

function bench(results: TargetResult[], opts: Partial<BenchOptions> = {}): BenchResult {
  const o = options(opts);
  return {
    schema: 'monami-bench/1',
    scenario: o.scenario,
    options: o,
    startedAt: '2025-01-01T00:00:00.000Z',
    machine: { cpus: 8, node: 'v22.0.0', platform: 'linux' },
    store: 'sqlite',
    results,
    ratios: computeRatios(results),
    rounds: [{ results, ratios: computeRatios(results) }],
    median: 0,
  };
}

/** A run of several rounds, each given as monami's CPU per 1,000 and throughput beside a fixed floor. */
function rounded(monami: { cpu: number | null; throughput: number }[], withFloor = true): BenchResult {
  const rounds = monami.map(({ cpu, throughput }) => {
    const results = [target('monami', { cpuMsPer1000: cpu, throughput }), ...(withFloor ? [target('floor')] : [])];
    return { results, ratios: computeRatios(results) };
  });
  const median = medianRound(rounds);
  return { ...bench(rounds[median]!.results, { rounds: rounds.length }), rounds, median, ratios: rounds[median]!.ratios };
}

/** The cells of the table row for `label`, below the header rule (no cell contains a space, so splitting on blanks is exact). */
function row(table: string, label: string): string[] {
  const lines = table.split('\n');
  const body = lines.slice(lines.findIndex((l) => /^-+$/.test(l)) + 1);
  const line = body.find((l) => l.split(/\s+/)[0] === label);
  expect(line, `row ${label}`).toBeDefined();
  return line!.trim().split(/\s+/);
}

/** Opening and closing tags pair up, in order: a cheap stand-in for an XML parser. */
function tagsBalance(svg: string): boolean {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) stack.push(name!);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe('percentiles', () => {
  it('uses the nearest rank on 1..100', () => {
    const shuffled = range(1, 100).reverse();
    const l = percentiles(shuffled);
    expect(l).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(l.sample).toEqual(range(1, 100));
    expect(shuffled[0]).toBe(100); // the caller's array is not sorted in place
  });

  it('rounds the rank up on small inputs', () => {
    expect(percentiles([30, 10, 20])).toMatchObject({ p50: 20, p90: 30, p99: 30, max: 30 });
    expect(percentiles(range(1, 10))).toMatchObject({ p50: 5, p90: 9, p99: 10 });
    expect(percentiles([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7, sample: [7] });
  });

  it('sorts numerically, not as text', () => {
    expect(percentiles([100, 9, 20, 3]).sample).toEqual([3, 9, 20, 100]);
  });

  it('accepts a Float64Array', () => {
    const l = percentiles(Float64Array.from(range(1, 1_000)));
    expect(l).toMatchObject({ count: 1_000, p50: 500, p90: 900, p99: 990, max: 1_000 });
  });

  it('keeps at most 2,000 sorted values including min and max', () => {
    for (const n of [2_001, 10_000, 123_457]) {
      const values = range(1, n).map((v) => v / 10).reverse();
      const l = percentiles(values);
      expect(l.sample).toHaveLength(2_000);
      expect(l.sample[0]).toBe(0.1);
      expect(l.sample.at(-1)).toBe(n / 10);
      expect(l.sample.every((v, i) => i === 0 || v >= l.sample[i - 1]!)).toBe(true);
    }
    expect(percentiles(range(1, 2_000)).sample).toHaveLength(2_000);
  });

  it('reports zeros for no samples', () => {
    expect(percentiles([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, sample: [] });
    expect(percentiles(new Float64Array(0)).count).toBe(0);
  });
});

describe('computeRatios', () => {
  it('divides monami by the floor for every figure both have', () => {
    const ratios = computeRatios([
      target('monami', { kbPerSession: 30 }),
      target('floor', { kbPerSession: 10 }),
    ]);
    expect(Object.keys(ratios!).sort()).toEqual(['cpuMsPer1000', 'diskKbPerMessage', 'kbPerSession', 'latencyP50', 'latencyP99', 'throughput']);
    expect(ratios!.throughput).toBeCloseTo(0.5, 10);
    expect(ratios!.latencyP50).toBeCloseTo(2, 10);
    expect(ratios!.latencyP99).toBeCloseTo(45.67 / 9.5, 10);
    expect(ratios!.cpuMsPer1000).toBeCloseTo(4, 10);
    expect(ratios!.kbPerSession).toBeCloseTo(3, 10);
    expect(ratios!.diskKbPerMessage).toBeCloseTo(23.2 / 0.9, 10);
  });

  it('leaves out figures that are missing or would divide by zero', () => {
    const floorWithoutLatency = computeRatios([target('monami'), target('floor', { latency: null, cpuMsPer1000: null, diskKbPerMessage: null })]);
    expect(Object.keys(floorWithoutLatency!)).toEqual(['throughput']);

    const zeroMedian = computeRatios([target('monami'), target('floor', { latency: latency(0, 1, 2, 3), cpuMsPer1000: 0, diskKbPerMessage: 0 })]);
    expect(Object.keys(zeroMedian!).sort()).toEqual(['latencyP99', 'throughput']);
    expect(zeroMedian!.latencyP99).toBeCloseTo(45.67 / 2, 10);

    expect(computeRatios([target('monami', { kbPerSession: 5 }), target('floor', { kbPerSession: null })])).not.toHaveProperty('kbPerSession');
  });

  it('is null without both a monami and a floor result', () => {
    expect(computeRatios([target('monami')])).toBeNull();
    expect(computeRatios([target('floor')])).toBeNull();
    expect(computeRatios([])).toBeNull();
  });
});

describe('medianRound', () => {
  it('takes the round whose monami ÷ floor CPU is the median, the lower middle of an even count', () => {
    expect(rounded([{ cpu: 90, throughput: 1 }, { cpu: 70, throughput: 3 }, { cpu: 80, throughput: 2 }]).median).toBe(2);
    expect(rounded([{ cpu: 90, throughput: 1 }, { cpu: 70, throughput: 3 }, { cpu: 80, throughput: 2 }, { cpu: 60, throughput: 4 }]).median).toBe(1);
    expect(rounded([{ cpu: 50, throughput: 1 }]).median).toBe(0);
  });

  it('goes by throughput where CPU is unknown, and by monami alone without a floor', () => {
    expect(rounded([{ cpu: null, throughput: 30 }, { cpu: null, throughput: 10 }, { cpu: null, throughput: 20 }]).median).toBe(2);
    expect(rounded([{ cpu: 90, throughput: 1 }, { cpu: 70, throughput: 3 }, { cpu: 80, throughput: 2 }], false).median).toBe(2);
  });
});

describe('summaryTable', () => {
  it('lists every round of a run of several and marks the one the table shows', () => {
    const table = summaryTable(rounded([{ cpu: 90, throughput: 12_000 }, { cpu: 70, throughput: 14_000 }, { cpu: 80, throughput: 13_000 }]));
    expect(table).toContain('3 rounds, monami ÷ floor each; the table shows round 3, the median:');
    const lines = table.split('\n').filter((l) => /round \d:/.test(l));
    expect(lines).toEqual([
      '    round 1: monami 12,000 /s, 90.0 CPU-ms/1000, delivered 0.49×, p99 4.81×, CPU 4.50×',
      '    round 2: monami 14,000 /s, 70.0 CPU-ms/1000, delivered 0.57×, p99 4.81×, CPU 3.50×',
      '  * round 3: monami 13,000 /s, 80.0 CPU-ms/1000, delivered 0.53×, p99 4.81×, CPU 4.00×',
    ]);
    expect(row(table, 'monami')[1]).toBe('13,000');
    expect(summaryTable(bench([target('monami'), target('floor')]))).not.toContain('rounds');
  });

  it('shows a row per target and the ratio row, with formatted figures', () => {
    const table = summaryTable(bench([target('monami'), target('floor')]));
    expect(table.split('\n')[0]).toBe('monami bench: dialogue (sqlite): 100 users × 1,000 messages, window 10, rate max');
    expect(row(table, 'monami')).toEqual(['monami', '12,346', '2.50', '6.00', '45.7', '1234', '0', '0', '0', '0', '80.0', '100.0', '23.2', '0.50']);
    expect(row(table, 'floor')).toEqual(['floor', '24,691', '1.25', '3.00', '9.50', '20.0', '0', '0', '0', '0', '20.0', '100.0', '0.90', '0.50']);
    expect(row(table, 'monami/floor')).toEqual(['monami/floor', '0.50×', '2.00×', '—', '4.81×', '—', '—', '—', '—', '—', '4.00×', '—', '25.78×', '—']);
    for (const header of ['delivered', 'p50', 'p90', 'p99', 'max', 'lost', 'dup', 'ooo', 'errors', 'srv CPU', 'ms/1000', 'srv RSS', 'disk KB', '/msg', 'driver']) {
      expect(table).toContain(header);
    }
    expect(table).not.toContain('session');
  });

  it('fits in 100 columns even with wide figures', () => {
    const wide = {
      lost: 12_345, duplicated: 123_456, outOfOrder: 1_234_567, errors: 99_999, throughput: 1_234_567, latency: latency(1_234, 5_678, 12_345, 99_999),
      cpuMsPer1000: 1_234.5, serverRssKb: 12_345_678, diskKbPerMessage: 12_345.6, kbPerSession: 123.4, driverCpu: 12.34,
    };
    const big = { scenario: 'group', users: 100_001, messages: 1_000_000, window: 1_000, rate: 250_000, groupSize: 100_000 } as const;
    const table = summaryTable(bench([target('monami', wide), target('floor', wide)], big));
    for (const line of table.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    // Nothing of the title is lost to the wrapping.
    expect(table).toContain('100,001 users × 1,000,000 messages');
    expect(table).toContain('group size 100,000');
  });

  it('names the options of the scenario in the title', () => {
    const group = summaryTable(bench([target('monami')], { scenario: 'group', rate: 5_000, groupSize: 250 }));
    expect(group.split('\n')[0]).toContain('rate 5,000/s');
    expect(group.split('\n')[0]).toContain('group size 250');
    const idle = summaryTable(bench([target('monami')], { scenario: 'idle', sessions: 20_000 }));
    expect(idle.split('\n')[0]).toContain('20,000 sessions');
    expect(idle.split('\n')[0]).not.toContain('group size');
  });

  it("shows '—' for unknown figures and no ratio row without a floor", () => {
    const table = summaryTable(bench([target('monami', { latency: null, cpuMsPer1000: null, serverRssKb: null, diskKbPerMessage: null })]));
    expect(row(table, 'monami')).toEqual(['monami', '12,346', '—', '—', '—', '—', '0', '0', '0', '0', '—', '—', '—', '0.50']);
    expect(table).not.toContain('monami/floor');
    expect(table).not.toMatch(/\d×/);
  });

  it('warns when the load generator was saturated, and only then', () => {
    const warning = 'the load generator was saturated: figures are a lower bound';
    expect(summaryTable(bench([target('monami', { driverCpu: 0.95 })]))).toContain(warning);
    expect(summaryTable(bench([target('monami'), target('floor', { driverCpu: 0.9 })]))).toContain(warning);
    expect(summaryTable(bench([target('monami', { driverCpu: 0.89 })]))).not.toContain(warning);
    // Four driver processes have four cores' worth of headroom.
    expect(summaryTable(bench([target('monami', { driverCpu: 0.95 })], { drivers: 4 }))).not.toContain(warning);
    expect(summaryTable(bench([target('monami', { driverCpu: 3.7 })], { drivers: 4 }))).toContain(warning);
  });

  it('reports lost, duplicated and reordered messages, and only then', () => {
    const bad = summaryTable(bench([target('monami', { lost: 3, duplicated: 1_200, outOfOrder: 7 }), target('floor')]));
    expect(bad).toContain('ACCOUNTING: 3 lost, 1,200 duplicated, 7 out of order');
    expect(bad.match(/ACCOUNTING/g)).toHaveLength(1);
    // The table keeps the narrow columns narrow; the line above has the exact figure.
    expect(row(bad, 'monami').slice(6, 9)).toEqual(['3', '1.2k', '7']);
    expect(summaryTable(bench([target('monami', { errors: 5 }), target('floor')]))).not.toContain('ACCOUNTING');
  });

  it('shows the two ways of logging in for the login scenario instead of latency', () => {
    const logins = { tokenPerSecond: 4_321.4, passwordPerSecond: 87.6, scryptLog2N: 15 };
    const table = summaryTable(bench([target('monami', { latency: null, throughput: 4_409, logins })], { scenario: 'login', duration: 30 }));
    expect(table.split('\n')[0]).toContain('login');
    expect(table).toContain('token');
    expect(table).toContain('password');
    expect(table).toContain('log2N');
    expect(table).not.toContain('p50');
    expect(row(table, 'monami')).toEqual(['monami', '4,409', '4,321', '88', '15', '0', '0', '0', '0', '80.0', '100.0', '0.50']);
    expect(table).not.toContain('disk KB');
  });

  it('shows memory per session for idle sessions instead of the disk per message', () => {
    const table = summaryTable(bench([target('monami', { latency: null, kbPerSession: 10.2 }), target('floor', { latency: null, kbPerSession: 6.8 })], { scenario: 'idle' }));
    expect(row(table, 'monami')).toEqual(['monami', '12,346', '—', '—', '—', '—', '0', '0', '0', '0', '80.0', '100.0', '10.2', '0.50']);
    expect(row(table, 'monami/floor')[12]).toBe('1.50×');
    expect(table).toContain('session');
    expect(table).not.toContain('disk KB');
  });
});

describe('latencySvg', () => {
  it('draws both targets in a self-contained, well-formed SVG', () => {
    const svg = latencySvg(bench([target('monami'), target('floor')]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(tagsBalance(svg)).toBe(true);
    expect(svg).toContain('monami:');
    expect(svg).toContain('floor:');
    expect(svg).toContain('12,346 delivered/s');
    expect(svg).toContain('#1f6fd1');
    expect(svg).toContain('#e8710a');
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).not.toMatch(/href|url\(|<image|<script/);
    for (const tick of ['p50', 'p90', 'p99']) expect(svg).toContain(`>${tick}</text>`);
  });

  it('uses a log scale only for a long tail', () => {
    // monami: max 1,234 over the smaller median 1.25 is far above 50.
    expect(latencySvg(bench([target('monami'), target('floor')]))).toContain('log scale');
    const flat = latency(10, 12, 20, 30);
    expect(latencySvg(bench([target('monami', { latency: flat })]))).toContain('linear scale');
  });

  it('escapes text taken from the result', () => {
    const result = bench([target('monami')]);
    result.scenario = '<dialogue & "more">' as Scenario;
    const svg = latencySvg(result);
    expect(svg).toContain('&lt;dialogue &amp; &quot;more&quot;&gt;');
    expect(svg).not.toContain('<dialogue');
    expect(tagsBalance(svg)).toBe(true);
  });

  it('says so when no latency was measured', () => {
    const svg = latencySvg(bench([target('monami', { latency: null })], { scenario: 'login' }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(tagsBalance(svg)).toBe(true);
    expect(svg).toContain('No latency was measured');
    expect(svg).not.toContain('<path');
  });
});

describe('resultJson', () => {
  it('is the result as indented JSON', () => {
    const result = bench([target('monami'), target('floor')]);
    const json = resultJson(result);
    expect(JSON.parse(json)).toEqual(result);
    expect(json).toContain('\n  "schema": "monami-bench/1",');
  });
});

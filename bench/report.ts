/**
 * Turning a benchmark run into things people read: latency percentiles, the
 * monami ÷ floor ratios, a one-screen text table, an SVG of the latency
 * distribution and the JSON document (schema 'monami-bench/1').
 *
 * Everything here is a pure function of its input, so it can be tested
 * without starting a server or a driver.
 */
import type { BenchResult, Latency, RoundResult, Scenario, TargetResult } from './types.js';

// ---------------------------------------------------------------------------
// Percentiles
// ---------------------------------------------------------------------------

/** The plot needs the shape of the distribution, not every sample: this bounds the JSON size. */
const MAX_SAMPLE = 2_000;

/**
 * Latency figures by the nearest-rank method: the p-th percentile is the value
 * at index ceil(p/100·n) − 1 of the sorted samples, so every figure reported
 * is a latency that was actually measured (no interpolation).
 */
export function percentiles(samplesMs: number[] | Float64Array): Latency {
  // Float64Array sorts numerically (and in place), so copy into one: the
  // caller's array stays untouched and we avoid a comparator.
  const sorted = Float64Array.from(samplesMs).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, sample: [] };
  return {
    count: n,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p99: nearestRank(sorted, 99),
    max: sorted[n - 1]!,
    sample: evenSample(sorted, MAX_SAMPLE),
  };
}

function nearestRank(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  // p·n is an exact integer, so dividing once keeps ceil() honest: p/100·n
  // would round 0.99·300 to a hair above 297 on some n and skip a rank.
  const rank = Math.ceil((p * n) / 100);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** At most `limit` values at evenly spaced indices; the first and last (min and max) are always kept. */
function evenSample(sorted: Float64Array, limit: number): number[] {
  const n = sorted.length;
  if (n <= limit) return Array.from(sorted);
  const picked: number[] = [];
  for (let i = 0; i < limit; i++) picked.push(sorted[Math.round((i * (n - 1)) / (limit - 1))]!);
  return picked;
}

// ---------------------------------------------------------------------------
// Ratios
// ---------------------------------------------------------------------------

/**
 * monami ÷ floor for every figure both targets have. A key is left out rather
 * than set to Infinity/NaN when it cannot be computed, because JSON would turn
 * those into null and a reader could not tell "unknown" from "infinitely worse".
 */
export function computeRatios(results: TargetResult[]): Record<string, number> | null {
  const monami = results.find((r) => r.target === 'monami');
  const floor = results.find((r) => r.target === 'floor');
  if (!monami || !floor) return null;

  const ratios: Record<string, number> = {};
  const put = (key: string, mine: number | null | undefined, theirs: number | null | undefined): void => {
    if (mine == null || theirs == null || !(theirs > 0) || !Number.isFinite(mine)) return;
    ratios[key] = mine / theirs;
  };
  put('throughput', monami.throughput, floor.throughput);
  put('latencyP50', monami.latency?.p50, floor.latency?.p50);
  put('latencyP99', monami.latency?.p99, floor.latency?.p99);
  put('cpuMsPer1000', monami.cpuMsPer1000, floor.cpuMsPer1000);
  put('diskKbPerMessage', monami.diskKbPerMessage, floor.diskKbPerMessage);
  put('kbPerSession', monami.kbPerSession, floor.kbPerSession);
  return ratios;
}

/**
 * Which round stands for a run of several: the median by monami ÷ floor CPU per 1,000
 * messages (by the throughput ratio where CPU is unknown; without a floor, by monami's own
 * figure). A whole round is taken, not a median of each figure, so that the figures shown
 * together were measured together. With an even count the lower middle is taken.
 */
export function medianRound(rounds: readonly RoundResult[]): number {
  const monami = (r: RoundResult) => r.results.find((t) => t.target === 'monami');
  const keys: ((r: RoundResult) => number | null | undefined)[] = [
    (r) => r.ratios?.cpuMsPer1000,
    (r) => r.ratios?.throughput,
    (r) => monami(r)?.cpuMsPer1000,
    (r) => monami(r)?.throughput,
  ];
  const key = keys.find((k) => rounds.every((r) => k(r) != null)) ?? (() => 0);
  const order = rounds.map((_, i) => i).sort((a, b) => key(rounds[a]!)! - key(rounds[b]!)!);
  return order[Math.floor((order.length - 1) / 2)] ?? 0;
}

/** One line per round when there were several: its ratios, and which one the table shows. */
function roundLines(result: BenchResult): string[] {
  if (result.rounds.length < 2) return [];
  const figure = (ratios: Record<string, number> | null, key: string, label: string) =>
    ratios?.[key] === undefined ? null : `${label} ${ratios[key]!.toFixed(2)}×`;
  return [
    '',
    `${result.rounds.length} rounds, monami ÷ floor each; the table shows round ${result.median + 1}, the median:`,
    ...result.rounds.map((round, i) => {
      const monami = round.results.find((r) => r.target === 'monami');
      const own = monami ? `monami ${formatCount(monami.throughput)} /s, ${formatAmount(monami.cpuMsPer1000)} CPU-ms/1000` : '';
      const ratios = [
        figure(round.ratios, 'throughput', 'delivered'),
        figure(round.ratios, 'latencyP99', 'p99'),
        figure(round.ratios, 'cpuMsPer1000', 'CPU'),
      ].filter(Boolean);
      return `  ${i === result.median ? '*' : ' '} round ${i + 1}: ${[own, ...ratios].filter(Boolean).join(', ')}`;
    }),
  ];
}

// ---------------------------------------------------------------------------
// Number formatting (shared by the table and the plot)
// ---------------------------------------------------------------------------

/** Shown for figures that are unknown or do not apply. */
const NONE = '—';

/** Thousands separators without Intl, so the output does not depend on the machine's locale. */
function groupDigits(n: number): string {
  const [whole, fraction] = Math.abs(n).toString().split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (n < 0 ? '-' : '') + grouped + (fraction === undefined ? '' : `.${fraction}`);
}

function formatCount(n: number | null | undefined): string {
  return n == null || !Number.isFinite(n) ? NONE : groupDigits(Math.round(n));
}

/**
 * Counts in at most 4 characters (950, 1.2k, 12k, 1.2M) for the narrow error
 * columns; the exact figures are in the ACCOUNTING line and the JSON.
 */
function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return NONE;
  const abs = Math.abs(n);
  if (abs < 1_000) return String(Math.round(n));
  const [value, suffix] = abs < 1e6 ? [n / 1e3, 'k'] : [n / 1e6, 'M'];
  return `${Math.abs(value) < 10 ? value.toFixed(1) : Math.round(value)}${suffix}`;
}

/**
 * Milliseconds and similar amounts: 2 decimals under 10, 1 decimal above. From
 * 1,000 on the decimal is noise, and separators would widen the table, so it
 * is a plain integer.
 */
function formatAmount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return NONE;
  if (Math.abs(n) < 10) return n.toFixed(2);
  if (Math.abs(n) < 1_000) return n.toFixed(1);
  return String(Math.round(n));
}

function formatRatio(n: number | null | undefined): string {
  return n == null || !Number.isFinite(n) ? NONE : `${n.toFixed(2)}×`;
}

// ---------------------------------------------------------------------------
// Summary table
// ---------------------------------------------------------------------------

const MAX_WIDTH = 100;

/** A table column: a two-line header (to keep columns narrow) and how to fill it per target and for the ratio row. */
interface Column {
  head: [string, string];
  cell: (r: TargetResult) => string;
  ratio: (ratios: Record<string, number>) => string;
}

const noRatio = (): string => NONE;

const perSession: Column = { head: ['KB/', 'session'], cell: (r) => formatAmount(r.kbPerSession), ratio: (x) => formatRatio(x.kbPerSession) };
const diskPerMessage: Column = { head: ['disk KB', '/msg'], cell: (r) => formatAmount(r.diskKbPerMessage), ratio: (x) => formatRatio(x.diskKbPerMessage) };

/** The latency columns of the message scenarios. */
function latencyColumns(): Column[] {
  const ms = (pick: (l: Latency) => number) => (r: TargetResult) => (r.latency && r.latency.count > 0 ? formatAmount(pick(r.latency)) : NONE);
  return [
    { head: ['p50', 'ms'], cell: ms((l) => l.p50), ratio: (x) => formatRatio(x.latencyP50) },
    { head: ['p90', 'ms'], cell: ms((l) => l.p90), ratio: noRatio },
    { head: ['p99', 'ms'], cell: ms((l) => l.p99), ratio: (x) => formatRatio(x.latencyP99) },
    { head: ['max', 'ms'], cell: ms((l) => l.max), ratio: noRatio },
  ];
}

/** The login scenario measures two ways in instead of delivery latency. */
function loginColumns(): Column[] {
  return [
    { head: ['token', 'logins/s'], cell: (r) => formatCount(r.logins?.tokenPerSecond), ratio: noRatio },
    { head: ['password', 'logins/s'], cell: (r) => formatCount(r.logins?.passwordPerSecond), ratio: noRatio },
    { head: ['scrypt', 'log2N'], cell: (r) => (r.logins ? String(r.logins.scryptLog2N) : NONE), ratio: noRatio },
  ];
}

function tableColumns(scenario: Scenario): Column[] {
  const login = scenario === 'login';
  const compact = (pick: (r: TargetResult) => number) => (r: TargetResult) => formatCompact(pick(r));
  return [
    { head: login ? ['all', 'logins/s'] : ['delivered', '/s'], cell: (r) => formatCount(r.throughput), ratio: (x) => formatRatio(x.throughput) },
    ...(login ? loginColumns() : latencyColumns()),
    { head: ['', 'lost'], cell: compact((r) => r.lost), ratio: noRatio },
    { head: ['', 'dup'], cell: compact((r) => r.duplicated), ratio: noRatio },
    { head: ['', 'ooo'], cell: compact((r) => r.outOfOrder), ratio: noRatio },
    { head: ['', 'errors'], cell: compact((r) => r.errors), ratio: noRatio },
    { head: ['srv CPU', 'ms/1000'], cell: (r) => formatAmount(r.cpuMsPer1000), ratio: (x) => formatRatio(x.cpuMsPer1000) },
    { head: ['srv RSS', 'MB'], cell: (r) => formatAmount(r.serverRssKb == null ? null : r.serverRssKb / 1024), ratio: noRatio },
    // Memory per session where sessions are what is measured; where messages are, what each costs the disk.
    ...(scenario === 'idle' ? [perSession] : []),
    ...(scenario === 'login' || scenario === 'idle' ? [] : [diskPerMessage]),
    { head: ['driver', 'CPU'], cell: (r) => (Number.isFinite(r.driverCpu) ? r.driverCpu.toFixed(2) : NONE), ratio: noRatio },
  ];
}

/**
 * Lays out rows of cells: the first column left-aligned (names), the rest
 * right-aligned (numbers). Two spaces between columns when that fits in
 * MAX_WIDTH, one otherwise: fitting one screen matters more than air.
 */
function layout(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const total = (gap: number) => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const gap = total(2) <= MAX_WIDTH ? 2 : 1;
  return rows.map((row) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join(' '.repeat(gap))
      .trimEnd(),
  );
}

/**
 * "monami bench: dialogue (sqlite): 100 users × 1,000 messages, window 10, rate max",
 * wrapped onto more lines when large figures would push it past MAX_WIDTH.
 */
function titleLines(result: BenchResult): string[] {
  const o = result.options;
  const parts = [
    `${formatCount(o.users)} users × ${formatCount(o.messages)} messages`,
    `window ${formatCount(o.window)}`,
    `rate ${o.rate > 0 ? `${formatCount(o.rate)}/s` : 'max'}`,
  ];
  if (o.nodes > 1) parts.push(`${o.nodes} nodes (sessions spread, CPU and memory summed)`);
  if (result.scenario === 'group') parts.push(`group size ${formatCount(o.groupSize)}`);
  if (result.scenario === 'idle') parts.push(`${formatCount(o.sessions)} sessions`);
  // idle holds sessions and login runs for a fixed time: without it their figures mean little.
  if (result.scenario === 'idle' || result.scenario === 'login') parts.push(`${formatCount(o.duration)} s`);
  return wrap(`monami bench: ${result.scenario} (${result.store}): `, parts);
}

/** Joins parts with ", " after a first-line prefix, starting an indented line whenever the next part would not fit. */
function wrap(prefix: string, parts: string[]): string[] {
  const lines = [prefix + parts[0]!];
  for (const part of parts.slice(1)) {
    const last = lines[lines.length - 1]!;
    if (last.length + 2 + part.length <= MAX_WIDTH) lines[lines.length - 1] = `${last}, ${part}`;
    else lines.push(`  ${part}`);
  }
  return lines;
}

function machineLine(result: BenchResult): string {
  const m = result.machine;
  const drivers = result.options.drivers;
  return `${m.cpus} CPUs, node ${m.node}, ${m.platform}; ${drivers} driver${drivers === 1 ? '' : 's'}; started ${result.startedAt}`;
}

/**
 * A driver near its CPU limit cannot offer more load, so the server may have
 * had headroom left: the figures then understate it.
 */
function saturationWarnings(result: BenchResult): string[] {
  const limit = 0.9 * result.options.drivers;
  return result.results
    .filter((r) => r.driverCpu >= limit)
    .map(
      (r) =>
        `WARNING: the load generator was saturated: figures are a lower bound ` +
        `(${r.target} driver CPU ${r.driverCpu.toFixed(2)}/${result.options.drivers})`,
    );
}

/** Lost, duplicated or reordered messages are correctness failures, not performance: say so loudly. */
function accountingWarnings(result: BenchResult): string[] {
  return result.results
    .filter((r) => r.lost > 0 || r.duplicated > 0 || r.outOfOrder > 0)
    .map(
      (r) =>
        `ACCOUNTING: ${formatCount(r.lost)} lost, ${formatCount(r.duplicated)} duplicated, ` +
        `${formatCount(r.outOfOrder)} out of order (${r.target})`,
    );
}

/** A one-screen plain-text summary: title, one row per target, the monami/floor ratio row, warnings. */
export function summaryTable(result: BenchResult): string {
  const columns = tableColumns(result.scenario);
  const rows: string[][] = [
    ['', ...columns.map((c) => c.head[0])],
    ['target', ...columns.map((c) => c.head[1])],
    ...result.results.map((r) => [r.target, ...columns.map((c) => c.cell(r))]),
  ];
  const ratios = result.ratios ?? computeRatios(result.results);
  if (ratios) rows.push(['monami/floor', ...columns.map((c) => c.ratio(ratios))]);

  const table = layout(rows);
  const rule = '-'.repeat(Math.max(...table.map((line) => line.length)));
  return [
    ...titleLines(result),
    machineLine(result),
    '',
    table[0]!,
    table[1]!,
    rule,
    ...table.slice(2),
    ...roundLines(result),
    ...saturationWarnings(result),
    ...accountingWarnings(result),
  ].join('\n');
}

// ---------------------------------------------------------------------------
// Latency plot (SVG)
// ---------------------------------------------------------------------------

const SVG_W = 800;
const SVG_H = 480;
/** The plotting area inside the margins left for the title, the legend and the axis labels. */
const PLOT = { left: 72, right: SVG_W - 24, top: 70, bottom: SVG_H - 56 };
/** Colour-blind-safe blue and orange; the floor is dashed as well so print in grey still tells them apart. */
const STYLE: Record<TargetResult['target'], { colour: string; dash: string | null }> = {
  monami: { colour: '#1f6fd1', dash: null },
  floor: { colour: '#e8710a', dash: '6 4' },
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A y axis: where a latency goes on the page, and which ticks to label. */
interface Scale {
  log: boolean;
  ticks: number[];
  toY: (ms: number) => number;
}

/** 1, 2 or 5 × 10^k: the smallest such step at least `raw`, so tick labels stay round. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= raw)!;
  return step * magnitude;
}

function linearScale(max: number): Scale {
  // A fifth of headroom above the largest value keeps the curve clear of the
  // legend in the top-left corner, even for a flat distribution.
  const wanted = (max > 0 ? max : 1) / 0.8;
  const step = niceStep(wanted / 5);
  const top = Math.ceil(wanted / step) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= top * (1 + 1e-9); i++) ticks.push(i * step);
  const toY = (ms: number) => PLOT.bottom - (Math.max(0, ms) / top) * (PLOT.bottom - PLOT.top);
  return { log: false, ticks, toY };
}

/** Whole decades around the data; 2 and 5 in between while there is room for them. */
function logScale(minPositive: number, max: number): Scale {
  const lo = 10 ** Math.floor(Math.log10(minPositive));
  let hi = 10 ** Math.ceil(Math.log10(max));
  if (hi <= lo) hi = lo * 10;
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: number[] = [];
  for (let d = 0; d <= decades; d++) {
    const base = lo * 10 ** d;
    ticks.push(base);
    if (decades <= 4 && d < decades) ticks.push(base * 2, base * 5);
  }
  const span = Math.log10(hi / lo);
  // Zero latencies (below the timer's resolution) sit on the bottom line rather than at −∞.
  const toY = (ms: number) => PLOT.bottom - (Math.log10(Math.max(ms, lo) / lo) / span) * (PLOT.bottom - PLOT.top);
  return { log: true, ticks, toY };
}

/** Log scale when the tail is more than 50× the median: a linear axis would flatten everything but the tail. */
function chooseScale(plotted: TargetResult[]): Scale {
  const latencies = plotted.map((r) => r.latency!);
  const max = Math.max(...latencies.map((l) => l.max));
  const median = Math.min(...latencies.map((l) => l.p50));
  const positives = latencies.flatMap((l) => l.sample.filter((v) => v > 0));
  if (max > 0 && positives.length > 0 && (median <= 0 || max / median > 50)) {
    return logScale(Math.min(...positives), max);
  }
  return linearScale(max);
}

const toX = (percentile: number): number => PLOT.left + (percentile / 100) * (PLOT.right - PLOT.left);

function tickLabel(ms: number): string {
  return ms >= 1_000 ? groupDigits(Math.round(ms)) : String(Number(ms.toPrecision(3)));
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`;
}

function yAxis(scale: Scale): string[] {
  return scale.ticks.flatMap((ms) => {
    const y = scale.toY(ms);
    return [
      line(PLOT.left, y, PLOT.right, y, 'stroke="#e3e3e3"'),
      text(PLOT.left - 6, y + 4, tickLabel(ms), 'text-anchor="end"'),
    ];
  });
}

/** Percentile ticks; p50, p90 and p99 are the figures the table reports, so they get a marked line. */
function xAxis(): string[] {
  const plain = [0, 25, 75, 100].flatMap((p) => [
    line(toX(p), PLOT.top, toX(p), PLOT.bottom, 'stroke="#e3e3e3"'),
    ...(p === 100 ? [] : [text(toX(p), PLOT.bottom + 16, String(p), 'text-anchor="middle"')]),
  ]);
  // 99 and 100 are a few pixels apart, so only 99 is labelled.
  const marked = [50, 90, 99].flatMap((p) => [
    line(toX(p), PLOT.top, toX(p), PLOT.bottom, 'stroke="#999" stroke-dasharray="3 3"'),
    text(toX(p), PLOT.bottom + 16, `p${p}`, 'text-anchor="middle" font-weight="bold"'),
  ]);
  return [...plain, ...marked];
}

/**
 * A target's percentile curve. The sample is sorted and evenly spread over the
 * ranks, so its i-th value sits at percentile i/(k−1)·100.
 */
function curve(r: TargetResult, scale: Scale): string[] {
  const l = r.latency!;
  const values = l.sample.length === 1 ? [l.sample[0]!, l.sample[0]!] : l.sample;
  const points = values.map((ms, i) => `${toX((i / (values.length - 1)) * 100).toFixed(1)},${scale.toY(ms).toFixed(1)}`);
  const style = STYLE[r.target];
  const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
  const path = `<path d="M${points.join(' L')}" fill="none" stroke="${style.colour}" stroke-width="2"${dash}/>`;
  // Dots at the exact reported percentiles, with a tooltip, tie the plot to the table.
  const dots = ([[50, l.p50], [90, l.p90], [99, l.p99]] as const).map(
    ([p, ms]) =>
      `<circle cx="${toX(p).toFixed(1)}" cy="${scale.toY(ms).toFixed(1)}" r="3.5" fill="${style.colour}">` +
      `<title>${escapeXml(`${r.target} p${p} ${formatAmount(ms)} ms`)}</title></circle>`,
  );
  return [path, ...dots];
}

/**
 * Top-left, where percentile curves are low: they rise to the right, and the
 * scales keep the median well below the top.
 */
function legend(plotted: TargetResult[]): string[] {
  const x = PLOT.left + 12;
  const labels = plotted.map((r) => {
    const l = r.latency!;
    return `${r.target}: p50 ${formatAmount(l.p50)} ms · p99 ${formatAmount(l.p99)} ms · max ${formatAmount(l.max)} ms`;
  });
  // No text metrics in a pure function: 6.5 px per character is about right for 12 px sans-serif.
  const width = 52 + Math.max(...labels.map((label) => label.length)) * 6.5;
  const items = plotted.flatMap((r, i) => {
    const y = PLOT.top + 18 + i * 20;
    const style = STYLE[r.target];
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
    return [line(x + 6, y - 4, x + 34, y - 4, `stroke="${style.colour}" stroke-width="3"${dash}`), text(x + 42, y, labels[i]!)];
  });
  const box = `<rect x="${x}" y="${PLOT.top + 4}" width="${width.toFixed(0)}" height="${10 + plotted.length * 20}" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>`;
  return [box, ...items];
}

function throughputText(result: BenchResult): string {
  const unit = result.scenario === 'login' ? 'logins/s' : 'delivered/s';
  return result.results.map((r) => `${r.target} ${formatCount(r.throughput)} ${unit}`).join(' · ');
}

function svgDocument(body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_W}" height="${SVG_H}" viewBox="0 0 ${SVG_W} ${SVG_H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${SVG_W}" height="${SVG_H}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** The latency distribution of each target as a percentile curve, as a self-contained SVG. */
export function latencySvg(result: BenchResult): string {
  const title = `monami bench: ${result.scenario} (${result.store})`;
  const plotted = result.results.filter((r) => r.latency && r.latency.count > 0 && r.latency.sample.length > 0);
  if (plotted.length === 0) {
    return svgDocument([
      text(SVG_W / 2, 40, title, 'text-anchor="middle" font-size="16" font-weight="bold"'),
      text(SVG_W / 2, SVG_H / 2, `No latency was measured in this run (scenario ${result.scenario}).`, 'text-anchor="middle" font-size="14"'),
    ]);
  }
  const scale = chooseScale(plotted);
  return svgDocument([
    text(SVG_W / 2, 26, title, 'text-anchor="middle" font-size="16" font-weight="bold"'),
    text(SVG_W / 2, 46, `${throughputText(result)} · ${scale.log ? 'log' : 'linear'} scale`, 'text-anchor="middle"'),
    ...yAxis(scale),
    ...xAxis(),
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333"/>`,
    ...plotted.flatMap((r) => curve(r, scale)),
    ...legend(plotted),
    text((PLOT.left + PLOT.right) / 2, SVG_H - 14, 'percentile', 'text-anchor="middle"'),
    text(18, (PLOT.top + PLOT.bottom) / 2, 'latency (ms)', `text-anchor="middle" transform="rotate(-90 18 ${(PLOT.top + PLOT.bottom) / 2})"`),
  ]);
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

/** The result as the documented 'monami-bench/1' JSON document. */
export function resultJson(result: BenchResult): string {
  return JSON.stringify(result, null, 2);
}

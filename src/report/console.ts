/**
 * Console output: the live progress line and the end-of-run tables. Pure functions returning
 * strings; cli/ decides where they go. Colour only when asked (the CLI asks on a TTY).
 */
import type { Progress } from '../metrics/progress.js';
import type { MetricName } from '../metrics/records.js';
import type { ConversationSummary, Summary, WorkloadSummary } from '../metrics/summary-types.js';
import { describeOverMax, describeTokenCounts, type TokenCountsSummary } from '../metrics/tokens.js';
import { escapeForTerminal } from '../util/escape.js';
import { CAUSE_LABELS } from '../metrics/diagnosis.js';
import { cacheHitText } from '../metrics/prefix-cache.js';

const paint = (on: boolean, code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function progressLine(p: Progress): string {
  const tok = p.outputTokensPerS > 0 ? `  tok/s ${p.outputTokensPerS}` : '';
  return `[${String(p.second + 1).padStart(4)}s] sent ${p.sent}  rps ${p.rps}  in-flight ${p.inFlight}  p50 ${ms(p.latencyP50Ms)}  p99 ${ms(p.latencyP99Ms)}  errors ${p.errors}${p.dropped ? `  dropped ${p.dropped}` : ''}${tok}`;
}

/** A second without completions has no percentile: `-`, not `0.00 ms`. */
function ms(x: number | null): string {
  return x === null ? '-' : `${fmt(x)} ms`;
}

function fmt(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

/** Where token counts came from, why outputs were short, which deadline cut requests. */
function tokenCountLines(t: TokenCountsSummary): string[] {
  const out = [`  ${describeTokenCounts(t)}`];
  const s = t.short;
  if (s.stop + s.length + s.other > 0) out.push(`  short outputs by finish_reason: ${s.stop} stop, ${s.length} length${s.other ? `, ${s.other} other` : ''}`);
  if (t.timeouts.firstToken + t.timeouts.total > 0) out.push(`  timeouts: ${t.timeouts.firstToken} without a first token in time, ${t.timeouts.total} over the whole-request timeout`);
  const over = describeOverMax(t);
  if (over) out.push(`  warning: ${over}`);
  return out;
}

/** Conversations started/finished and each turn's TTFT p50 (or latency p50 when not streamed). */
function conversationLine(c: ConversationSummary): string {
  const streamed = c.byTurn.some((t) => t.ttft);
  const turns = c.byTurn.map((t) => `${t.turn}: ${fmt((streamed ? t.ttft?.p50 : t.latency?.p50) ?? 0)}`).join(', ');
  return `  conversations ${c.started} started, ${c.finished} finished; ${streamed ? 'ttft' : 'latency'} p50 (ms) by turn ${turns}`;
}

const SHOWN: MetricName[] = ['latency', 'serviceTime', 'scheduleLag', 'ttft', 'tpot', 'itl'];

function workloadTable(w: WorkloadSummary, color: boolean): string {
  const t = w.totals;
  const errs = Object.entries(w.errors)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const lines = [
    paint(color, 1, `${w.name} (${w.kind}, model ${w.model})`),
    `  requests ${t.sent} sent, ${t.ok} ok, ${t.errors} errors${errs ? ` (${errs})` : ''}, ${t.dropped} dropped   rate ${w.targetRps > 0 ? `${w.achievedRps}/${w.targetRps}` : w.achievedRps} rps`,
  ];
  if (t.outputTokens > 0) lines.push(`  tokens ${t.outputTokens} out, ${t.inputTokens} in, ${w.outputTokensPerS} out/s${w.shortOutputs ? `, ${w.shortOutputs} shorter than asked` : ''}`);
  if (w.cacheHitRatio !== undefined) lines.push(`  prefix cache: ${t.cachedInputTokens ?? 0} of ${t.inputTokens} input tokens cached, hit ratio ${cacheHitText(w.cacheHitRatio)}`);
  if (w.inputTokensPerS !== undefined) lines.push(`  tokens ${t.inputTokens} in, ${w.inputTokensPerS} in/s`);
  if (w.tokenCounts) lines.push(...tokenCountLines(w.tokenCounts));
  if (w.conversations) lines.push(conversationLine(w.conversations));
  if (w.goodput && t.completed > 0) lines.push(`  goodput ${w.goodput.ratePerS} rps, SLO attainment ${(w.goodput.attainment * 100).toFixed(1)} %`);
  else if (w.goodput) lines.push('  goodput: no completed requests to judge against the SLO');
  const rows = [['  metric (ms)', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean']];
  for (const m of SHOWN) {
    const x = w.metrics[m];
    if (!x) continue;
    rows.push([`  ${m}`, fmt(x.p50), fmt(x.p90), fmt(x.p95), fmt(x.p99), fmt(x.p999), fmt(x.max), fmt(x.mean)]);
  }
  if (rows.length > 1) lines.push(table(rows));
  return lines.join('\n');
}

/** `for 10 s`; a run stopped before its first request measured nothing, not "0.001 s". */
function lengthText(s: Summary): string {
  return s.interrupted && s.totals.sent === 0 && s.totals.dropped === 0 ? 'stopped before the first request' : `for ${s.durationS} s`;
}

export function summaryText(s: Summary, color: boolean): string {
  const out: string[] = [];
  const t = s.totals;
  out.push(
    paint(color, 1, `servebench ${s.servebenchVersion} — ${s.scenario.name}`) +
      `  ${s.target.url} (${s.target.routing} routing${s.target.client === 'lean' ? ', lean HTTP client' : ''})  ${s.load.type} ${s.load.targetRps ? `${s.load.targetRps} rps` : ''} ${lengthText(s)}${s.interrupted ? paint(color, 33, '  [interrupted]') : ''}`,
  );
  out.push(`total: ${t.scheduled} scheduled, ${t.sent} sent, ${t.ok} ok, ${t.errors} errors, ${t.dropped} dropped; achieved ${s.load.achievedRps} rps`);
  if (s.stopReason) out.push(paint(color, 31, `stopped early: ${s.stopReason}`));
  // Extra attempts are not requests: shown apart so sent = ok + errors still reads true.
  if (t.retries) out.push(`retries: ${t.retries} extra attempts (target.retry); errors count each request's final outcome`);
  for (const w of s.workloads) out.push('', workloadTable(w, color));
  const samples = Object.entries(s.errorSamples);
  if (samples.length) {
    out.push('', 'first error of each class:');
    // Server text: escaped so it cannot move the cursor, clear the screen or fake lines.
    for (const [k, v] of samples) out.push(`  ${escapeForTerminal(k)}: ${escapeForTerminal(v)}`);
  }
  if (s.thresholds.length) {
    out.push('', 'thresholds:');
    for (const th of s.thresholds) {
      out.push(`  ${th.ok ? paint(color, 32, 'PASS') : paint(color, 31, 'FAIL')}  ${th.expr}  (${th.value ?? 'n/a'})${th.message ? `  ${th.message}` : ''}`);
    }
  }
  const g = s.generator;
  const thread = g.threadCpuPercent !== undefined ? `, worker thread ${g.threadCpuPercent} % of a core (waited for a CPU ${g.runQueuePercent ?? 0} %)` : '';
  const conn = g.connectionWaitMs ? `, connection wait p99 ${fmt(g.connectionWaitMs.p99)} ms` : '';
  const causes = (g.causes ?? []).map((c) => CAUSE_LABELS[c]).join(', ');
  const verdict = g.saturated ? paint(color, 31, `  SATURATED (${causes})`) : causes ? paint(color, 33, `  (${causes})`) : '';
  const peak = g.peakInFlightPerWorker ? `, up to ${g.peakInFlightPerWorker} ${s.workloads.some((w) => w.metrics.itl) ? 'streams' : 'requests'} in flight per worker` : '';
  out.push('', `generator: event-loop lag p99 ${fmt(g.eventLoopLagMs.p99)} ms${peak}, dispatch lag p99 ${fmt(g.dispatchLagMs.p99)} ms${conn}, CPU ${g.cpuPercent} %${thread}${verdict}`);
  for (const w of g.warnings) out.push(paint(color, 33, `warning: ${escapeForTerminal(w)}`));
  for (const n of g.notes ?? []) out.push(`note: ${n}`);
  return out.join('\n');
}

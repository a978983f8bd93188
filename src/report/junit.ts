/**
 * JUnit XML for CI systems (GitHub Actions test reporters, GitLab's `artifacts:reports:junit`):
 * one test case per threshold and one per compared metric, a failure element for each that failed.
 * Pure functions of a Summary or a Comparison, so every command (run, compare, merge, sweep)
 * renders the same shape.
 */
import type { Summary } from '../metrics/summary-types.js';
import type { Comparison } from '../compare/types.js';

export interface JunitCase {
  name: string;
  classname: string;
  /** Set when the case failed: a one-line message and a longer text. */
  failure?: { message: string; text?: string };
  /** Shown in system-out. */
  out?: string;
}

export interface JunitSuite {
  name: string;
  cases: JunitCase[];
  /** Seconds the suite took (the run's measured duration). */
  timeS?: number;
  timestamp?: string;
}

/** XML 1.0 text: escapes markup and drops characters XML cannot carry at all. */
function xmlEscape(s: unknown): string {
  return String(s)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The thresholds of a run as a suite: one case per `summary.thresholds[]` entry. */
export function thresholdSuite(s: Summary): JunitSuite {
  const name = s.scenario.name;
  return {
    name: `servebench thresholds: ${name}`,
    timeS: s.durationS,
    timestamp: s.startedAt,
    cases: s.thresholds.map((t) => ({
      name: t.expr,
      classname: `servebench.thresholds.${name}`,
      out: `value: ${t.value === null ? 'n/a' : t.value}`,
      ...(t.ok ? {} : { failure: { message: t.message ?? `${t.expr} failed (value ${t.value === null ? 'n/a' : t.value})` } }),
    })),
  };
}

/** A comparison as a suite: one case per compared metric; a regression fails its case. */
export function comparisonSuite(c: Comparison): JunitSuite {
  return {
    name: `servebench compare: ${c.baseline.label} vs ${c.candidate.label}`,
    timeS: c.candidate.durationS,
    timestamp: c.candidate.startedAt || undefined,
    cases: c.metrics.map((m) => {
      const line = `baseline ${m.baseline} ${m.unit}, candidate ${m.candidate} ${m.unit}, change ${m.change}${m.relativeChange === null ? '' : ` (${(m.relativeChange * 100).toFixed(1)}%)`}${m.ci ? `, ${Math.round(m.ci.level * 100)}% CI [${m.ci.change[0]}, ${m.ci.change[1]}]` : ''}: ${m.verdict} (${m.reason})`;
      return {
        name: `${m.workload} ${m.metric}.${m.stat}`,
        classname: `servebench.compare.${m.workload}`,
        out: line,
        ...(m.verdict === 'regression' ? { failure: { message: `regression: ${m.metric}.${m.stat} of ${m.workload}`, text: line } } : {}),
      };
    }),
  };
}

export function renderJunit(suites: readonly JunitSuite[]): string {
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="servebench" tests="${tests}" failures="${failures}" errors="0">`];
  for (const s of suites) {
    const f = s.cases.filter((c) => c.failure).length;
    const attrs = [`name="${xmlEscape(s.name)}"`, `tests="${s.cases.length}"`, `failures="${f}"`, 'errors="0"', 'skipped="0"'];
    if (s.timeS !== undefined) attrs.push(`time="${s.timeS}"`);
    if (s.timestamp) attrs.push(`timestamp="${xmlEscape(s.timestamp)}"`);
    out.push(`  <testsuite ${attrs.join(' ')}>`);
    for (const c of s.cases) {
      const open = `    <testcase name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}" time="0"`;
      const inner: string[] = [];
      if (c.failure) inner.push(`      <failure message="${xmlEscape(c.failure.message)}" type="servebench">${xmlEscape(c.failure.text ?? c.failure.message)}</failure>`);
      if (c.out) inner.push(`      <system-out>${xmlEscape(c.out)}</system-out>`);
      out.push(inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

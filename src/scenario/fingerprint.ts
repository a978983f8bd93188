/**
 * A scenario's fingerprint: sha256 of the resolved scenario in canonical JSON (keys sorted), so
 * `merge` can tell whether shard results come from the same scenario. Left out: the API key (a
 * secret, and rotating it does not change the test) and where files sit on the machine that ran the
 * shard (scenario path, CA file path, JSONL paths: pods mount them at different places); the
 * contents that matter (bodies, CA PEM, every load/target/workload setting, `--set` overrides) stay
 * in. Shard-specific bits (shard id, start instant) live in RunInfo, never in the scenario.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ResolvedScenario } from './types.js';

export function scenarioFingerprint(s: ResolvedScenario): string {
  const { apiKey: _key, ...target } = s.target;
  const { caFile: _caFile, ...tls } = target.tls;
  const comparable = {
    ...s,
    file: undefined,
    target: { ...target, tls },
    workloads: s.workloads.map((w) => ({
      ...w,
      bodiesSource: w.bodiesSource === 'inline' ? w.bodiesSource : basename(w.bodiesSource),
      dataset: w.dataset === undefined ? undefined : basename(w.dataset),
    })),
  };
  return createHash('sha256').update(canonicalJson(comparable)).digest('hex');
}

/** JSON with object keys sorted and undefined members left out, so equal data gives equal text. */
function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

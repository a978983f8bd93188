/**
 * Shares (tolerances, headroom, a sweep's precision) are written with a '%'. A bare number is
 * refused, never guessed: `10` read as a fraction is 1000 %, and a CI gate that silently widens a
 * hundredfold passes everything. One reader for the CLI flags and the scenario keys.
 */
import { ServebenchError } from '../errors.js';

export type PercentRead = { ok: true; fraction: number } | { ok: false; why: string; hint: string };

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;
const BARE = /^\s*-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i;

/** `n` as a short decimal: 0.1 * 100 is 10, not 10.000000000000002. */
function short(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/** The hint for a bare number: the per cent it most likely meant, and the fraction's reading. */
function bareHint(n: number): string {
  const asFraction = n > 0 && n < 1 ? ` (or ${short(n * 100)}% if ${short(n)} was a fraction)` : '';
  return `write ${short(n)}%${asFraction}`;
}

/** '10%' → 0.1. `0` alone is accepted: it is 0 in any unit. */
export function readPercent(v: unknown): PercentRead {
  if (v === 0 || (typeof v === 'string' && /^\s*0+(\.0+)?\s*$/.test(v))) return { ok: true, fraction: 0 };
  if (typeof v === 'string') {
    const m = PERCENT.exec(v);
    if (m) return { ok: true, fraction: Number(m[1]) / 100 };
    if (BARE.test(v)) v = Number(v);
  }
  if (typeof v === 'number' && v < 0) return { ok: false, why: `${short(v)} is negative`, hint: 'write a percentage like 10%' };
  if (typeof v === 'number' && Number.isFinite(v)) return { ok: false, why: `${short(v)} has no '%': a bare number is ambiguous (10 could be 10% or 1000%)`, hint: bareHint(v) };
  return { ok: false, why: `${JSON.stringify(v)} is not a percentage`, hint: 'write a percentage like 10% or 2.5%' };
}

/** A CLI flag's share: the fraction, or E_USAGE (exit 2) naming the flag and the fix. */
export function requirePercent(v: string, flag: string): number {
  const r = readPercent(v);
  if (!r.ok) throw new ServebenchError('E_USAGE', `${flag} '${v}': ${r.why}`, { hint: r.hint });
  return r.fraction;
}

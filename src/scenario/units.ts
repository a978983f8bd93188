import { ServebenchError } from '../errors.js';

/**
 * A bare number other than 0 where a duration goes, or undefined. It has no unit and is refused:
 * `timeout: 30` read as ms is a thousandth of what was meant.
 */
export function bareDuration(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : undefined;
  return n !== undefined && n > 0 && Number.isFinite(n) ? n : undefined;
}

/** Parses `250ms`, `1.5s`, `2m`, `1h` or a bare 0. Returns undefined when malformed or unit-less. */
export function parseDurationMs(v: string | number): number | undefined {
  if (bareDuration(v) !== undefined) return undefined;
  if (typeof v === 'number') return v === 0 ? 0 : undefined; // negative, NaN or infinite
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'us':
    case 'µs':
      return n / 1000;
    case undefined:
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    case 'h':
      return n * 3_600_000;
  }
  return undefined;
}

export function requireDurationMs(v: string | number, what: string): number {
  const ms = parseDurationMs(v);
  if (ms === undefined) {
    throw new ServebenchError('E_USAGE', `${what}: '${v}' is not a duration`, { hint: bareDuration(v) !== undefined ? `write ${v}ms or ${v}s` : 'use a number with ms, s, m or h, e.g. 250ms or 30s' });
  }
  return ms;
}

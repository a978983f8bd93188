import { ServebenchError } from '../errors.js';

/** Parses `250ms`, `1.5s`, `2m`, `1h` or a bare number of ms. Returns undefined when malformed. */
export function parseDurationMs(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
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
    throw new ServebenchError('E_USAGE', `${what}: '${v}' is not a duration`, { hint: 'use a number with ms, s, m or h, e.g. 250ms or 30s' });
  }
  return ms;
}

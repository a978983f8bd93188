/**
 * The row format of requests.csv.gz (one row per finished measured request), shared by the worker
 * that writes rows, the coordinator that files them, and `merge`/`report`, which read them back.
 * Times are integer µs from the run's measured start (the end of the warm-up); an instant that did
 * not happen (no first token: not a stream, or it failed first) is an empty field, as is a count the
 * request has none of. Rows are in the order requests finished per worker, not sorted.
 */

export const REQUESTS_FILE = 'requests.csv.gz';

export const REQUEST_COLUMNS = [
  'workload',
  'slot',
  'intended_us',
  'sent_us',
  'first_byte_us',
  'first_token_us',
  'done_us',
  'status',
  'error',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'turn',
] as const;

export const REQUEST_HEADER = REQUEST_COLUMNS.join(',') + '\n';

/** Column index by name. */
export const COL = Object.fromEntries(REQUEST_COLUMNS.map((c, i) => [c, i])) as Record<(typeof REQUEST_COLUMNS)[number], number>;

/** The time columns, in the order a request passes them. */
export const TIME_COLUMNS = ['intended_us', 'sent_us', 'first_byte_us', 'first_token_us', 'done_us'] as const;

/** A workload name as one CSV field (quoted when it holds a comma, quote or line break). */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Splits one row into its fields (a quoted first field may hold commas; the others never do). */
export function splitRow(line: string): string[] {
  if (!line.startsWith('"')) return line.split(',');
  let i = 1;
  let name = '';
  for (;;) {
    const q = line.indexOf('"', i);
    if (q < 0) return [line];
    name += line.slice(i, q);
    if (line[q + 1] === '"') {
      name += '"';
      i = q + 2;
      continue;
    }
    return [name, ...line.slice(q + 2).split(',')];
  }
}

/** µs from `base` (ms), or '' when the instant is unknown (NaN or negative marker). */
export function usField(ms: number, baseMs: number): string {
  return ms === ms && ms >= 0 ? String(Math.round((ms - baseMs) * 1000)) : '';
}

/** A count, or '' when unknown (< 0). */
export function countField(n: number): string {
  return n >= 0 ? String(n) : '';
}

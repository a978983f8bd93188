/**
 * Small helpers every layer needs alike, kept once here.
 */

/** A plain object (not null, not an array): a JSON object read from a file or a response. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Rounded to 3 decimals, as every figure in summary.json and the reports is. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Rounded to 1 decimal (percentages of CPU and of run time). */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Rounded to 6 decimals (threshold values, comparison figures): noise of float sums, not data. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The message of something caught, whether or not it is an Error. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Why a file could not be read, in words (the errno code's meaning, else the message). */
export function fileErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return errText(e);
}

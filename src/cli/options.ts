/**
 * Command-line option values that yargs cannot check by itself, and the option groups several
 * commands declare alike.
 */
import type { Argv } from 'yargs';
import { ServebenchError } from '../errors.js';

export function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new ServebenchError('E_USAGE', `--shard '${v}' is not i/n with 0 <= i < n`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

export function parseStartAt(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new ServebenchError('E_USAGE', `--start-at '${v}' is neither epoch ms nor an ISO time`);
  // Epoch seconds read as ms land in 1970: every shard would start at once instead of together.
  if (/^\d+$/.test(v) && n < 1e12) throw new ServebenchError('E_USAGE', `--start-at '${v}' is before 2001 in epoch ms; epoch seconds?`, { hint: `write ${v}000 (epoch ms) or an ISO time` });
  return n;
}

/** yargs makes an array of a repeated string option: one value is all a path option can take. */
export function once(flag: string) {
  return (v: unknown): string | undefined => {
    if (Array.isArray(v)) throw new ServebenchError('E_USAGE', `--${flag} was given ${v.length} times (${v.map((x) => `'${x}'`).join(', ')})`, { hint: `give --${flag} once` });
    return v === undefined ? undefined : String(v);
  };
}

/**
 * --junit and --markdown (cli/ci-outputs.ts). `cases` says what a JUnit test case is for this
 * command, `markdown` what the Markdown file holds.
 */
export function ciOptions<T>(y: Argv<T>, cases: string, markdown: 'summary' | 'table') {
  return y
    .option('junit', { type: 'string', coerce: once('junit'), describe: `write JUnit XML (one test case per ${cases})` })
    .option('markdown', { type: 'string', coerce: once('markdown'), describe: `write a Markdown ${markdown} (e.g. $GITHUB_STEP_SUMMARY)` });
}

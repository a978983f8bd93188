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

/** The flags of `run --url …` (scenario/one-liner.ts); strings, so each is read as a file's field would be. */
export function quickRunOptions<T>(y: Argv<T>) {
  const str = (flag: string, describe: string) => ({ type: 'string' as const, coerce: once(flag), describe, group: 'One-liner (--url):' });
  return y
    .option('url', str('url', "the deployment's inference URL (path routing: /v1/<project>/<deployment>/…); with a scenario file it overrides target"))
    .option('host', str('host', 'host routing: the Host header <deployment>.<project>.<domain>'))
    .option('api-key-env', str('api-key-env', 'environment variable holding the API key (sent as authorization: ApiKey …)'))
    .option('rps', str('rps', 'requests per second (open loop)'))
    .option('concurrency', str('concurrency', 'users, each sending its next request when the last one is answered (closed loop)'))
    .option('duration', str('duration', 'measured time, e.g. 30s or 2m'))
    .option('warmup', str('warmup', 'time sent but not measured before the duration, e.g. 5s'))
    .option('model', str('model', 'model name (chat/completions: default the deployment name)'))
    .option('body', str('body', 'request body as JSON (predict, classify, regress, infer)'))
    .option('bodies', str('bodies', 'JSONL file of request bodies, sent in turn'))
    .option('stream', { type: 'boolean' as const, describe: 'stream chat/completion answers (default on; --no-stream for off)', group: 'One-liner (--url):' })
    .option('input-tokens', str('input-tokens', 'synthetic prompt length in tokens (default 256)'))
    .option('output-tokens', str('output-tokens', 'answer length asked for, in tokens (default 128)'))
    .option('print-scenario', { type: 'boolean' as const, describe: 'print the scenario YAML these flags build and exit', group: 'One-liner (--url):' });
}

/** The one-liner's flags as yargs parsed them. */
export function quickFlags(a: Record<string, unknown>) {
  const s = (k: string) => a[k] as string | undefined;
  return {
    url: s('url'),
    host: s('host'),
    apiKeyEnv: s('api-key-env'),
    rps: s('rps'),
    concurrency: s('concurrency'),
    duration: s('duration'),
    warmup: s('warmup'),
    model: s('model'),
    body: s('body'),
    bodies: s('bodies'),
    stream: a.stream as boolean | undefined,
    inputTokens: s('input-tokens'),
    outputTokens: s('output-tokens'),
  };
}

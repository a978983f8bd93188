/**
 * `servebench run --url … --rps … --duration …`: flags → the scenario a file would give.
 *
 * The flags become `--set` entries, so a flag's value is read and checked exactly as the same
 * field in a file (the one load → validate → resolve path of load.ts). Without a scenario file the
 * URL is first turned into a small base scenario (from-url.ts); with one, the URL overrides its
 * target. A problem an entry causes is reported under the flag that made the entry.
 *
 *   base text (file, or built from --url) + [flag entries…, user --set entries…] ─▶ parseScenarioText
 */
import { isAbsolute, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { ServebenchError, type Problem } from '../errors.js';
import { parseInferenceUrl, type UrlTarget } from '../scenario/from-url.js';
import type { LoadedScenario } from '../scenario/load.js';
import { parseScenarioText } from './scenario.js';
import { plural } from '../scenario/messages.js';
import { parseSetPath } from '../scenario/overrides.js';
import { EMBEDDING_KINDS, GENERATIVE_KINDS } from '../scenario/schema.js';
import type { Env } from '../scenario/env.js';
import { isObject } from '../util/values.js';

/** The run command's flags that build or change a scenario; strings are the text as typed. */
export interface QuickFlags {
  url?: string;
  host?: string;
  apiKeyEnv?: string;
  rps?: string;
  duration?: string;
  warmup?: string;
  concurrency?: string;
  stream?: boolean;
  model?: string;
  inputTokens?: string;
  outputTokens?: string;
  body?: string;
  bodies?: string;
}

export interface QuickInput {
  /** A scenario file and its text; absent for the one-liner. */
  file?: { path: string; text: string };
  flags: QuickFlags;
  /** The user's `--set` entries: applied after the flags', so they have the last word. */
  sets: readonly string[];
  env?: Env;
}

/** The inputs of parseScenarioText, and which flag made each leading set entry. */
export interface QuickScenario {
  readonly text: string;
  readonly file: string;
  readonly sets: readonly string[];
  readonly flagOfSet: readonly string[];
}

/** Flags that shape the one workload the URL names: a file has its own workloads. */
const WORKLOAD_FLAGS = [
  ['model', '--model'],
  ['body', '--body'],
  ['bodies', '--bodies'],
  ['stream', '--stream'],
  ['inputTokens', '--input-tokens'],
  ['outputTokens', '--output-tokens'],
] as const satisfies readonly (readonly [keyof QuickFlags, string])[];

const DEFAULT_PROMPT = { inputTokens: 256, outputTokens: 128 } as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const q = (s: string) => JSON.stringify(s);

function usage(message: string, hint?: string): ServebenchError {
  return new ServebenchError('E_USAGE', message, { hint });
}

/** The scenario `--url` names, before the flags' entries: what a user would otherwise write. */
export function baseScenario(t: UrlTarget, f: QuickFlags): Record<string, unknown> {
  const generative = GENERATIVE_KINDS.includes(t.kind);
  const embedding = EMBEDDING_KINDS.includes(t.kind);
  if (!generative && !embedding && f.body === undefined && f.bodies === undefined) {
    throw usage(`--url names a ${t.kind} endpoint: give the request body with --body JSON or --bodies FILE`, `e.g. --body '{"instances":[[1,2,3]]}'`);
  }
  if (f.rps === undefined && f.concurrency === undefined) {
    throw usage('--url needs a load: --rps N (requests per second) or --concurrency N (users, each sending one request after the other)');
  }
  const model = t.model ?? t.deployment;
  const workload: Record<string, unknown> = { name: model, kind: t.kind, model };
  if (generative) workload.prompt = { ...DEFAULT_PROMPT };
  if (embedding) workload.prompt = { inputTokens: DEFAULT_PROMPT.inputTokens };
  const target = urlTarget(t);
  // No load mapping here: the --rps/--concurrency entries create it, in block style.
  return { name: t.deployment.replace(/[^A-Za-z0-9._-]/g, '-'), target, workloads: [workload] };
}

/**
 * The file's target with what the URL names put in its place. The file's other settings (apiKey,
 * tls, timeouts, retry) stay; `mock` goes, since it only applies to the embedded mock (and so do
 * the mock's entries in server.metrics, below).
 */
function overriddenTarget(text: string, t: UrlTarget): Record<string, unknown> {
  let fileTarget: unknown;
  try {
    fileTarget = (parseDocument(text).toJS() as { target?: unknown } | null)?.target;
  } catch {
    fileTarget = undefined; // a syntax error: parseScenarioText reports it at its line
  }
  const kept = isObject(fileTarget) ? { ...fileTarget } : {};
  for (const k of ['url', 'project', 'deployment', 'routing', 'knativeDomain', 'mock']) delete kept[k];
  return { ...kept, ...urlTarget(t) };
}

/** The file's server.metrics without the embedded mock's entries, or null when it has none of those. */
function serverMetricsWithoutMock(text: string): unknown[] | null {
  let metrics: unknown;
  try {
    metrics = (parseDocument(text).toJS() as { server?: { metrics?: unknown } } | null)?.server?.metrics;
  } catch {
    return null;
  }
  if (!Array.isArray(metrics)) return null;
  const kept = metrics.filter((m) => !(isObject(m) && m.url === 'embedded'));
  return kept.length === metrics.length ? null : kept;
}

function urlTarget(t: UrlTarget): Record<string, unknown> {
  const target: Record<string, unknown> = { url: t.origin, project: t.project, deployment: t.deployment, routing: t.routing };
  if (t.knativeDomain !== undefined) target.knativeDomain = t.knativeDomain;
  return target;
}

/** Each flag as the `--set` entry it stands for, tagged with the flag. */
function flagEntries(f: QuickFlags, url: UrlTarget | undefined, fileText: string | undefined): [flag: string, entry: string][] {
  const inFile = fileText !== undefined;
  const out: [string, string][] = [];
  if (url && fileText !== undefined) {
    out.push(['--url', `target=${JSON.stringify(overriddenTarget(fileText, url))}`]);
    // The embedded mock's /metrics goes with the mock: a real target has its own (server.metrics).
    const kept = serverMetricsWithoutMock(fileText);
    if (kept) out.push(['--url', `server.metrics=${JSON.stringify(kept)}`]);
  }
  if (f.apiKeyEnv !== undefined) {
    if (!ENV_NAME.test(f.apiKeyEnv)) throw usage(`--api-key-env: '${f.apiKeyEnv}' is not an environment variable name`, 'name the variable that holds the key, e.g. --api-key-env HOPSWORKS_API_KEY');
    out.push(['--api-key-env', `target.apiKey=${q('${' + f.apiKeyEnv + '}')}`]);
  }
  if (f.rps !== undefined && f.concurrency !== undefined) {
    throw usage('--rps and --concurrency: give one', '--rps N sends at a fixed rate (open loop); --concurrency N keeps N users each waiting for its answer (closed loop)');
  }
  if (f.rps !== undefined) out.push(['--rps', `load.rps=${f.rps}`]);
  if (f.concurrency !== undefined) out.push(['--concurrency', 'load.type=concurrency'], ['--concurrency', `load.concurrency=${f.concurrency}`]);
  if (f.duration !== undefined) out.push(['--duration', `load.duration=${f.duration}`]);
  if (f.warmup !== undefined) out.push(['--warmup', `load.warmup=${f.warmup}`]);
  const w = 'workloads[0]';
  if (f.model !== undefined) out.push(['--model', `${w}.model=${q(f.model)}`]);
  if (f.body !== undefined && f.bodies !== undefined) throw usage('--body and --bodies: give one', '--body is one JSON body; --bodies a JSONL file of bodies, sent in turn');
  if (f.body !== undefined) {
    try {
      JSON.parse(f.body);
    } catch (e) {
      throw usage(`--body: not JSON (${(e as Error).message})`, `quote it for the shell: --body '{"inputs":[[1,2]]}'`);
    }
    out.push(['--body', `${w}.body=${f.body}`]);
  }
  if (f.bodies !== undefined) out.push(['--bodies', `${w}.bodies=${q(inFile && !isAbsolute(f.bodies) ? resolve(f.bodies) : f.bodies)}`]);
  if (f.stream !== undefined) out.push(['--stream', `${w}.stream=${f.stream}`]);
  if (f.inputTokens !== undefined) out.push(['--input-tokens', `${w}.prompt.inputTokens=${f.inputTokens}`]);
  if (f.outputTokens !== undefined) out.push(['--output-tokens', `${w}.prompt.outputTokens=${f.outputTokens}`]);
  return out;
}

export function quickScenario(input: QuickInput): QuickScenario {
  const f = input.flags;
  if (f.host !== undefined && f.url === undefined) throw usage('--host goes with --url', 'give the URL the host-routed deployment is reached at: --url https://<gateway>/v1/models/<model>:predict --host <deployment>.<project>.<domain>');
  const url = f.url === undefined ? undefined : parseInferenceUrl(f.url, f.host);
  if (input.file) {
    const given = WORKLOAD_FLAGS.filter(([k]) => f[k] !== undefined).map(([, flag]) => flag);
    if (given.length > 0) {
      throw usage(`${given.join(', ')}: only for a run without a scenario file (the file has its own workloads)`, `set a workload field with --set, e.g. --set 'workloads[0].model=my-llm'`);
    }
  }
  const entries = flagEntries(f, url, input.file?.text);
  const text = input.file ? input.file.text : stringify(baseScenario(url!, f));
  return { text, file: input.file?.path ?? '', sets: [...entries.map(([, e]) => e), ...input.sets], flagOfSet: entries.map(([flag]) => flag) };
}

/** Loads what the flags (and file) describe; a problem of a flag's entry is shown under the flag. */
export function loadQuick(input: QuickInput): LoadedScenario & { built: QuickScenario } {
  const built = quickScenario(input);
  try {
    const loaded = parseScenarioText(built.text, built.file, { sets: built.sets, env: input.env });
    if (!input.file && input.flags.apiKeyEnv === undefined && !built.sets.some((s) => /^\s*target\.apiKey(File)?\s*=/.test(s))) {
      loaded.warnings.push('no --api-key-env: the requests carry no authorization header');
    }
    return { ...loaded, built };
  } catch (e) {
    if (e instanceof ServebenchError && e.code === 'E_SCENARIO') throw relabel(e, built);
    throw e;
  }
}

function relabel(e: ServebenchError, built: QuickScenario): ServebenchError {
  const n = built.flagOfSet.length;
  const problems = e.problems.map((p): Problem => {
    if (p.file === '--set') {
      const i = p.col - 1;
      return i < n ? { ...p, file: built.flagOfSet[i], line: 1, col: 1 } : { ...p, col: p.col - n };
    }
    return built.file === '' && p.file === '<inline>' ? { ...p, file: '--url' } : p;
  });
  const what = built.file === '' ? 'the scenario built from --url' : built.file;
  return new ServebenchError('E_SCENARIO', `${what}: ${plural(problems.length, 'problem')}`, { problems, hint: e.hint });
}

/**
 * The YAML `--print-scenario` shows: the base with every entry written in, so that saving it
 * gives a scenario file that runs the same. Checked first: an invalid one is never printed.
 * The API key's variable need not be set to print.
 */
export function printQuick(input: QuickInput): string {
  const env = { ...(input.env ?? process.env) };
  if (input.flags.apiKeyEnv !== undefined && ENV_NAME.test(input.flags.apiKeyEnv)) env[input.flags.apiKeyEnv] ??= 'unset-while-printing';
  const { built } = loadQuick({ ...input, env });
  const doc = parseDocument(built.text);
  for (const entry of built.sets) {
    const eq = entry.indexOf('=');
    const path = parseSetPath(entry.slice(0, eq).trim())!;
    doc.setIn(path, doc.createNode(parseDocument(entry.slice(eq + 1)).toJS()));
  }
  return doc.toString();
}

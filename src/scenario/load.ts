/**
 * load → validate → resolve: the one way a scenario file becomes a `ResolvedScenario`.
 *
 *   text ──parseSource──▶ plain tree + positions ──applySets──▶ ──substituteEnv──▶
 *        ──zod (schema.ts)──┐
 *        ──checkScenario────┴─▶ every problem, located ──▶ throw E_SCENARIO
 *                                 or none ──buildScenario──▶ frozen ResolvedScenario + warnings
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ServebenchError, type Problem } from '../errors.js';
import { substituteEnv } from './env.js';
import { reportZodIssues } from './issues.js';
import { plural } from './messages.js';
import { applySets } from './overrides.js';
import { buildScenario, checkScenario, type ResolveContext } from './resolve.js';
import { ScenarioSchema, issueMessages } from './schema.js';
import { ProblemList, parseSource } from './source.js';
import type { ResolvedScenario } from './types.js';
import { fileErrorText } from '../util/values.js';
import type { WorkloadFileChecks } from './file-checks.js';

export interface LoadOptions {
  /** `--set path=value` overrides, applied in order. */
  sets?: readonly string[];
  /** Where `${VAR}` is looked up; process.env when omitted. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedScenario {
  scenario: ResolvedScenario;
  /** Things worth telling the user that do not stop the run. Never contain the API key. */
  warnings: string[];
}

const INLINE = '<inline>';

/** `checks`: the workload layer's file checks (workload/scenario.ts binds them). */
export function loadScenario(file: string, checks: WorkloadFileChecks, opts: LoadOptions = {}): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServebenchError('E_FILE', `cannot read scenario ${file}: ${fileErrorText(e)}`, { cause: e });
  }
  return parseScenarioText(text, file, checks, opts);
}

export function parseScenarioText(text: string, file: string, checks: WorkloadFileChecks, opts: LoadOptions = {}): LoadedScenario {
  const shown = file === '' ? INLINE : file;
  const src = parseSource(text, shown);
  if (src.syntax.length > 0) throw failure(shown, src.syntax, []);

  const problems = new ProblemList(src.locator);
  let root = src.root;
  if (opts.sets && opts.sets.length > 0) root = applySets(root, opts.sets, src.locator, problems);
  if (root === undefined) {
    problems.atPos(src.locator.root, '', 'the scenario is empty; expected a mapping with name, target, workloads and load');
    throw failure(shown, problems.list(), []);
  }

  const { fromEnv } = substituteEnv(root, opts.env ?? process.env, problems);
  const parsed = ScenarioSchema.safeParse(root, { error: issueMessages });
  if (!parsed.success) reportZodIssues(parsed.error.issues, root, problems);
  const ctx: ResolveContext = {
    file,
    absFile: file === '' ? '' : path.resolve(file),
    baseDir: file === '' ? process.cwd() : path.dirname(path.resolve(file)),
    checks,
  };
  const files = checkScenario(root, ctx, problems);

  const rawKey = (root as { target?: { apiKey?: unknown } }).target?.apiKey;
  const secrets = [rawKey, files.apiKey].filter((s): s is string => typeof s === 'string');
  if (problems.size > 0 || !parsed.success) throw failure(shown, problems.list(), secrets);

  const scenario = buildScenario(parsed.data, files, ctx);
  const warnings = [...src.warnings];
  if (scenario.target.tls.insecure) warnings.push('TLS certificate verification is off (target.tls.insecure: true)');
  if (parsed.data.target.apiKey !== undefined && !fromEnv.has('target.apiKey')) {
    const from = src.locator.value(['target', 'apiKey']).file;
    warnings.push(`target.apiKey is written literally in ${from}; prefer apiKey: \${HOPSWORKS_API_KEY} or apiKeyFile`);
  }
  warnings.push(...defaultTokenizerWarnings(scenario));
  return { scenario, warnings: warnings.map((w) => scrub(w, secrets)) };
}

/** Last line of defence: no message may carry the key, whatever check produced it. */
function scrub(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

function failure(file: string, problems: readonly Problem[], secrets: readonly string[]): ServebenchError {
  const clean = problems.map((p) => ({ ...p, path: scrub(p.path, secrets), message: scrub(p.message, secrets) }));
  return new ServebenchError('E_SCENARIO', `${file}: ${plural(clean.length, 'problem')}`, { problems: clean });
}

/** A chat/completion workload that names no tokenizer counts with cl100k_base, whatever the model. */
function defaultTokenizerWarnings(s: ResolvedScenario): string[] {
  if (s.target.embedded) return []; // the mock is no model: any tokenizer does
  return s.workloads
    .filter((w) => (w.kind === 'chat' || w.kind === 'completion' || w.kind === 'embedding') && !w.tokenizer)
    .map(
      (w) =>
        `workload ${w.name}: no tokenizer given, so cl100k_base stands in for ${w.model}'s tokenizer: synthetic prompt lengths (and output counts when the server reports no usage) are approximate; set tokenizer: to the model's folder (tokenizer.json, tokenizer_config.json)`,
    );
}

/** The variants of a scenario with a `compare:` key, each resolved like a scenario of its own. */
import { ServebenchError } from '../errors.js';
import { parseScenarioText, type LoadOptions } from './load.js';
import type { ResolvedScenario } from './types.js';
import type { WorkloadFileChecks } from './file-checks.js';

/**
 * The scenario once per variant: the same file and overrides with the variant's value applied as
 * one more `--set`, so a variant is validated exactly like the base scenario. A variant that does
 * not validate is reported under its own name.
 */
export function variantScenarios(base: ResolvedScenario, text: string, file: string, checks: WorkloadFileChecks, opts: LoadOptions): ResolvedScenario[] {
  const c = base.compare;
  if (!c) return [base];
  return c.values.map((v, i) => {
    const set = `${c.key}=${JSON.stringify(v)}`;
    try {
      return parseScenarioText(text, file, checks, { ...opts, sets: [...(opts.sets ?? []), set] }).scenario;
    } catch (err) {
      if (err instanceof ServebenchError) {
        throw new ServebenchError(err.code, `compare variant '${c.labels[i]}' (${c.key}: ${JSON.stringify(v)}): ${err.message}`, { hint: err.hint, problems: err.problems });
      }
      throw err;
    }
  });
}

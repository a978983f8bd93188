import { formatProblem, ServebenchError } from '../../src/errors.js';
import type { LoadOptions, LoadedScenario } from '../../src/scenario/load.js';
import { parseScenarioText } from '../../src/workload/scenario.js';

export const FIXTURES = 'test/fixtures/scenarios';

/** The formatted problems of a scenario that must fail with E_SCENARIO. */
export function problemsOf(fn: () => unknown): string[] {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (e instanceof ServebenchError && e.code === 'E_SCENARIO') return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error(`expected E_SCENARIO, got a scenario: ${JSON.stringify(result)}`);
}

/** A valid predict scenario as YAML text; `extra` lines are appended under the given sections. */
export function yaml(parts: { target?: string; workload?: string; load?: string; top?: string } = {}): string {
  return [
    'name: s',
    'target:',
    '  url: embedded',
    '  deployment: fraud',
    ...(parts.target ? [parts.target] : []),
    'workloads:',
    '  - name: w',
    ...(parts.workload ? [parts.workload] : ['    kind: predict', '    model: fraud', '    body: { instances: [[1]] }']),
    'load:',
    ...(parts.load ? [parts.load] : ['  rps: 10']),
    ...(parts.top ? [parts.top] : []),
    '',
  ].join('\n');
}

export function parse(text: string, opts: LoadOptions = {}): LoadedScenario {
  return parseScenarioText(text, 's.yaml', { env: {}, ...opts });
}

export function problems(text: string, opts: LoadOptions = {}): string[] {
  return problemsOf(() => parse(text, opts));
}

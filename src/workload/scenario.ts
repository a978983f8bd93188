/**
 * Loading a scenario with every check of the files it names: scenario/ checks the shape and the
 * values, and this layer adds what only it can judge (a dataset's lines, a tokenizer name). The
 * commands load scenarios through here.
 */
import { loadScenario as loadWith, parseScenarioText as parseWith, type LoadOptions, type LoadedScenario } from '../scenario/load.js';
import type { WorkloadFileChecks } from '../scenario/file-checks.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { variantScenarios as variantsWith } from '../scenario/variants.js';
import { checkDatasetFile } from './dataset-check.js';
import { checkTokenizerField } from './tokenizer-check.js';
import { checkTraceFile } from './trace-check.js';

export const WORKLOAD_FILE_CHECKS: WorkloadFileChecks = { dataset: checkDatasetFile, tokenizer: checkTokenizerField, trace: checkTraceFile };

export function loadScenario(file: string, opts: LoadOptions = {}): LoadedScenario {
  return loadWith(file, WORKLOAD_FILE_CHECKS, opts);
}

export function parseScenarioText(text: string, file: string, opts: LoadOptions = {}): LoadedScenario {
  return parseWith(text, file, WORKLOAD_FILE_CHECKS, opts);
}

export function variantScenarios(base: ResolvedScenario, text: string, file: string, opts: LoadOptions): ResolvedScenario[] {
  return variantsWith(base, text, file, WORKLOAD_FILE_CHECKS, opts);
}

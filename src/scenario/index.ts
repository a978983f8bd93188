export * from './types.js';
export { type LoadOptions, type LoadedScenario } from './load.js';
export type { WorkloadFileChecks } from './file-checks.js';
export { parseDurationMs, requireDurationMs } from './units.js';
export { ScenarioSchema, type ScenarioInput } from './schema.js';

export * from './types.js';
export { loadScenario, parseScenarioText, type LoadOptions, type LoadedScenario } from './load.js';
export { parseDurationMs, requireDurationMs } from './units.js';
export { ScenarioSchema, type ScenarioInput } from './schema.js';
export { variantScenarios } from './variants.js';

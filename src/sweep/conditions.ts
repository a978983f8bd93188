/**
 * `sweep.until` conditions are the project's threshold expressions (src/metrics/thresholds.ts),
 * evaluated on each step's Summary. One import point, so the sweep names what it uses.
 */
export { evaluateThresholds, parseThreshold, type ParsedThreshold } from '../metrics/thresholds.js';

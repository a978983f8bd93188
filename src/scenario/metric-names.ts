/**
 * The names of the measured metrics: the vocabulary of the threshold grammar (scenario/) and of
 * the records and summaries (metrics/, which re-exports them from records.ts).
 */
export const METRICS = ['latency', 'serviceTime', 'scheduleLag', 'ttft', 'tpot', 'itl', 'outputTokens', 'inputTokens'] as const;
export type MetricName = (typeof METRICS)[number];

/** Metrics recorded in µs and reported in ms; the others are plain counts. */
export const TIME_METRICS: ReadonlySet<MetricName> = new Set<MetricName>(['latency', 'serviceTime', 'scheduleLag', 'ttft', 'tpot', 'itl']);

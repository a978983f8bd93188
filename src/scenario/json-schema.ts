/**
 * The scenario's JSON Schema, for editors (`# yaml-language-server: $schema=…`): generated from
 * the zod schema with `z.toJSONSchema`, as the file is written (io: 'input', defaults optional).
 *
 * zod cannot express what its transforms accept: a duration or a percentage reads `unknown` and
 * checks it in code, so those leaves come out as `{}` (anything). They are described here by
 * field name; test/unit/json-schema.test.ts fails when a new leaf comes out as `{}` unexplained.
 * A `${VAR}` reference may stand for any number or boolean (env.ts types it), so those accept one.
 */
import * as z from 'zod';
import { ScenarioSchema } from './schema.js';
import { RETRY_CLASSES } from './schema.js';

type Json = Record<string, unknown>;

export const ENV_REF = { type: 'string', pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$', description: '${VAR} or ${VAR:-default}: read from the environment' };

const DURATION = {
  description: 'a duration with its unit: 250ms, 30s, 2m (a bare number other than 0 is refused)',
  anyOf: [{ type: 'string', pattern: '^\\s*(\\d+(\\.\\d+)?\\s*(us|µs|ms|s|m|h)|0+(\\.0+)?)\\s*$' }, { const: 0 }, ENV_REF],
};
const PERCENT = {
  description: "a percentage like 5% (a bare number is refused)",
  anyOf: [{ type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$' }, { const: 0 }, ENV_REF],
};
const RETRY_ON = {
  description: 'an HTTP status from 400 to 599 or a transport error class',
  anyOf: [{ type: 'integer', minimum: 400, maximum: 599 }, { type: 'string', enum: [...RETRY_CLASSES] }],
};

/** The fields whose zod type is a transform of `unknown`, by name. */
const DURATION_FIELDS = new Set(['duration', 'warmup', 'thinkTime', 'timeout', 'connectTimeout', 'firstTokenTimeout', 'firstByteTimeout', 'backoff', 'stepDuration', 'delayAbortEval', 'ttft', 'tpot', 'itl', 'latency', 'interval', 'step']);
const PERCENT_FIELDS = new Set(['precision', 'stability', 'share']);

function isEmpty(node: Json): boolean {
  return Object.keys(node).length === 0;
}

/** Fills the `{}` leaves and lets `${VAR}` stand for numbers and booleans, in place. */
function refine(node: Json, field: string | undefined): void {
  if (isEmpty(node) && field !== undefined) {
    if (DURATION_FIELDS.has(field)) Object.assign(node, DURATION);
    else if (PERCENT_FIELDS.has(field)) Object.assign(node, PERCENT);
    else if (field === 'on[]') Object.assign(node, RETRY_ON);
    return;
  }
  if (node.type === 'number' || node.type === 'integer' || node.type === 'boolean') {
    const { default: dflt, ...own } = node;
    for (const k of Object.keys(node)) delete node[k];
    Object.assign(node, dflt === undefined ? {} : { default: dflt }, { anyOf: [own, ENV_REF] });
    return;
  }
  const props = node.properties as Record<string, Json> | undefined;
  if (props) for (const [k, v] of Object.entries(props)) refine(v, k);
  if (node.items && typeof node.items === 'object') refine(node.items as Json, field === undefined ? undefined : `${field}[]`);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = node[k] as Json[] | undefined;
    if (list) for (const v of list) refine(v, field);
  }
}

export function scenarioJsonSchema(): Json {
  const generated = z.toJSONSchema(ScenarioSchema, { io: 'input', target: 'draft-7' }) as Json;
  refine(generated, undefined);
  return { ...generated, title: 'servebench scenario', description: 'A servebench scenario file (YAML or JSON). Generated from the zod schema by `servebench schema`.' };
}

/** The text of schema/scenario.schema.json: what `servebench schema` prints. */
export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
}

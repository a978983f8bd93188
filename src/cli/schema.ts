/** `servebench schema`: the scenario JSON Schema, for editors and other checkers. */
import { ExitCode } from '../errors.js';
import { scenarioJsonSchemaText } from '../scenario/json-schema.js';
import type { Out } from './out.js';

export function cmdSchema(o: Out): number {
  o.out(scenarioJsonSchemaText().trimEnd());
  return ExitCode.ok;
}

/**
 * Where the CLI prints, and how it prints an error. Commands print through `Out` so tests can
 * capture it; printError redacts every secret this process loaded.
 */
import { ExitCode, ServebenchError, formatProblem } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { Redactor } from '../util/redact.js';

export interface Out {
  out(line: string): void;
  err(line: string): void;
  /** stderr is a TTY: progress overwrites one line and tables get colour. */
  readonly tty: boolean;
}

export const stdio: Out = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  tty: Boolean(process.stderr.isTTY),
};

/**
 * Secrets of the scenarios this process loaded: printError redacts them too, since an unexpected
 * error's message or its --verbose stack may quote anything.
 */
const knownSecrets: string[] = [];
export function rememberSecrets(s: ResolvedScenario): void {
  if (s.target.apiKey) knownSecrets.push(s.target.apiKey);
}

export function printError(err: unknown, verbose: boolean, raw: Out): number {
  const r = new Redactor(knownSecrets);
  const o: Out = { out: (l) => raw.out(r.redact(l)), err: (l) => raw.err(r.redact(l)), tty: raw.tty };
  if (err instanceof ServebenchError) {
    if (err.problems.length) {
      o.err(`error: ${err.message}`);
      for (const p of err.problems) o.err(`  ${formatProblem(p)}`);
    } else o.err(`error: ${err.message}`);
    if (err.hint) o.err(`hint: ${err.hint}`);
    if (verbose && err.stack) o.err(err.stack);
    return err.exitCode;
  }
  o.err(`error: ${(err as Error)?.message ?? String(err)}`);
  if (verbose && (err as Error)?.stack) o.err((err as Error).stack!);
  else o.err('(this is a bug in servebench; --verbose shows the stack)');
  return ExitCode.unreachable;
}

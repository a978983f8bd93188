/**
 * The one error type of servebench. Every expected failure is thrown as a ServebenchError with a
 * stable `code`; `cli/` maps it to its exit code and prints `message` (and `hint`) without a stack.
 * Anything else that reaches the CLI is a bug and is printed with its stack under --verbose only.
 */

export const ExitCode = {
  ok: 0,
  /** A threshold, SLO gate or regression check failed. */
  failed: 1,
  /** Invalid usage or scenario. */
  usage: 2,
  /** The target could not be reached or the run could not start. */
  unreachable: 3,
  /** The run finished but its files could not all be written (disk full, folder not writable). */
  writeFailed: 4,
  /** Stopped by a signal (SIGINT, SIGTERM). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'E_USAGE'
  | 'E_SCENARIO'
  | 'E_FILE'
  | 'E_ENV'
  | 'E_DATASET'
  | 'E_TARGET'
  | 'E_TLS'
  | 'E_RESULTS'
  | 'E_WORKER'
  | 'E_WRITE'
  | 'E_INTERRUPTED'
  | 'E_INTERNAL';

const exitFor: Record<ErrorCode, ExitCodeValue> = {
  E_USAGE: ExitCode.usage,
  E_SCENARIO: ExitCode.usage,
  E_FILE: ExitCode.usage,
  E_ENV: ExitCode.usage,
  E_DATASET: ExitCode.usage,
  E_TARGET: ExitCode.unreachable,
  E_TLS: ExitCode.unreachable,
  E_RESULTS: ExitCode.usage,
  E_WORKER: ExitCode.unreachable,
  E_WRITE: ExitCode.writeFailed,
  E_INTERRUPTED: ExitCode.interrupted,
  E_INTERNAL: ExitCode.unreachable,
};

/** One located problem in a scenario file: printed as `file:line:col  path  message`. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted field path, e.g. `load.rps` or `workloads[1].kind`. */
  readonly path: string;
  readonly message: string;
}

export class ServebenchError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly problems: readonly Problem[];
  readonly exitCode: ExitCodeValue;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; problems?: readonly Problem[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ServebenchError';
    this.code = code;
    this.hint = opts.hint;
    this.problems = opts.problems ?? [];
    this.exitCode = exitFor[code];
  }

  /** Worker threads lose the subclass over postMessage: send this plain object instead. */
  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }

  static fromJSON(o: { code: ErrorCode; message: string; hint?: string }): ServebenchError {
    return new ServebenchError(o.code, o.message, { hint: o.hint });
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}  ${p.path || '(root)'}  ${p.message}`;
}

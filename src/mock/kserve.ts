/**
 * The KServe predictors: V1 `:predict`, TF Serving `:classify` / `:regress`, V2 `/infer`, and the
 * metadata and health GETs. Bodies for n rows are built once and cached as Buffers, since a
 * load test asks for the same n again and again.
 */
import { randomUUID } from 'node:crypto';
import { json, kserveError, type Exchange, type RequestHandler } from './handler.js';
import { Meta } from './routes.js';
import type { Sender } from './respond.js';
import type { ServiceSlots } from './slots.js';

/** Why a request body is invalid (answered 400). */
interface Invalid {
  error: string;
}

/** The answer of one request kind to a JSON object body. */
export type KServeAnswer = (model: string, o: Record<string, unknown>) => Buffer | Invalid;

export interface KServeDeps {
  slots: ServiceSlots;
  out: Sender;
  /** True for the requests that get an injected 500. */
  fails: () => boolean;
}

const INJECTED = kserveError('injected');

function unknownModel(ex: Exchange): boolean {
  return ex.dep.modelSet !== null && !ex.dep.modelSet.has(ex.model);
}

function notFound(out: Sender, ex: Exchange): void {
  out.send(ex, 404, kserveError(`Model with name ${ex.model} does not exist.`));
}

/** A POST inference call: validated, answered after its service time in a slot. */
export class KServeHandler implements RequestHandler {
  readonly method = 'POST';

  constructor(
    private readonly answer: KServeAnswer,
    private readonly deps: KServeDeps,
  ) {}

  errorBody(_status: number, _type: string, message: string): Buffer {
    return kserveError(message);
  }

  handle(ex: Exchange, body: Buffer): void {
    const { out } = this.deps;
    if (unknownModel(ex)) {
      notFound(out, ex);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      out.send(ex, 400, kserveError(`Unrecognized request format: invalid JSON`));
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      out.send(ex, 400, kserveError('Unrecognized request format: expected a JSON object'));
      return;
    }
    const r = this.answer(ex.model, parsed as Record<string, unknown>);
    if (!Buffer.isBuffer(r)) {
      out.send(ex, 400, kserveError(r.error));
      return;
    }
    const fail = this.deps.fails();
    this.deps.slots.serve(ex, fail ? 500 : 200, fail ? INJECTED : r);
  }
}

/** The metadata and health GETs: answered at once, without service time or injected errors. */
export class MetadataHandler implements RequestHandler {
  readonly method = 'GET';

  constructor(private readonly out: Sender) {}

  errorBody(_status: number, _type: string, message: string): Buffer {
    return kserveError(message);
  }

  handle(ex: Exchange): void {
    if (ex.meta !== Meta.Live && ex.meta !== Meta.Ready && ex.meta !== Meta.OpenAiModels && unknownModel(ex)) {
      notFound(this.out, ex);
      return;
    }
    this.out.send(ex, 200, metaBody(ex));
  }
}

function metaBody(ex: Exchange): Buffer {
  switch (ex.meta) {
    case Meta.V1:
    case Meta.V2Ready:
      return json({ name: ex.model, ready: true });
    case Meta.V2Meta:
      return json({ name: ex.model, versions: ['1'], platform: 'mock', inputs: [], outputs: [] });
    case Meta.Live:
      return json({ live: true });
    case Meta.OpenAiModels:
      return json({ object: 'list', data: [...(ex.dep.modelSet ?? [])].map((id) => ({ id, object: 'model', owned_by: 'mock' })) });
    default:
      return json({ ready: true });
  }
}

/** Bodies for n rows, built on first use; n above 4096 is built each time and not kept. */
function cachedBy(build: (n: number) => string): (n: number) => Buffer {
  const cache = new Map<number, Buffer>();
  return (n) => {
    let b = cache.get(n);
    if (b === undefined) {
      b = Buffer.from(build(n));
      if (n <= 4096) cache.set(n, b);
    }
    return b;
  };
}

/** Count of rows a V1 / TF Serving body asks predictions for; undefined when malformed. */
function countRows(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') {
    // TF Serving columnar format: {"inputs": {"a": [[…], […]], "b": […]}}
    for (const col of Object.values(v)) return Array.isArray(col) ? col.length : 1;
    return 0;
  }
  return undefined;
}

/** n alternating 0.0 / 1.0 values, as a float model would print them (valid JSON). */
function values(n: number): string {
  const p: string[] = [];
  for (let i = 0; i < n; i++) p.push(i % 2 === 0 ? '0.0' : '1.0');
  return p.join(',');
}

/** V1 `:predict` (and TF Serving `:predict`): one prediction per instance or input row. */
export function predictAnswer(): KServeAnswer {
  const body = cachedBy((n) => `{"predictions":[${values(n)}]}`);
  return (_model, o) => {
    const n = countRows(o.instances !== undefined ? o.instances : o.inputs);
    if (n === undefined) return { error: 'Invalid input format: expected "instances" or "inputs" to be a list' };
    return body(n);
  };
}

/** TF Serving `:classify` / `:regress`: one result per example. */
function examplesAnswer(result: string): KServeAnswer {
  const body = cachedBy((n) => `{"results":[${new Array<string>(n).fill(result).join(',')}]}`);
  return (_model, o) => {
    if (!Array.isArray(o.examples)) return { error: "Missing 'examples' key or not a list" };
    return body(o.examples.length);
  };
}

export function classifyAnswer(): KServeAnswer {
  return examplesAnswer('[["0",0.9],["1",0.1]]');
}

export function regressAnswer(): KServeAnswer {
  return examplesAnswer('0.5');
}

/** KServe V2 (Open Inference Protocol) `/infer`: one FP32 output of as many rows as the first input. */
export const inferAnswer: KServeAnswer = (model, o) => {
  const inputs = o.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) return { error: 'Invalid input format: "inputs" must be a non-empty list' };
  let rows = 0;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i] as Record<string, unknown> | null;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return { error: `inputs[${i}] must be an object` };
    if (typeof t.name !== 'string') return { error: `inputs[${i}].name must be a string` };
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      return { error: `inputs[${i}].shape must be a list of non-negative integers` };
    }
    if (typeof t.datatype !== 'string') return { error: `inputs[${i}].datatype must be a string` };
    if (!Array.isArray(t.data)) return { error: `inputs[${i}].data must be a list` };
    if (i === 0) rows = t.shape.length > 0 ? (t.shape[0] as number) : t.data.length;
  }
  const id = typeof o.id === 'string' ? o.id : randomUUID();
  return Buffer.from(
    `{"model_name":${JSON.stringify(model)},"model_version":null,"id":${JSON.stringify(id)},"parameters":null,"outputs":[{"name":"output-0","shape":[${rows}],"datatype":"FP32","parameters":null,"data":[${values(rows)}]}]}`,
  );
};

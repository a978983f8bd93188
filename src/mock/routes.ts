/**
 * The predictor-side routes: which request kind an upstream path is (KServe V1 / TF Serving,
 * V2, vLLM's OpenAI API, health), and the model it names. Route ids index the gateway's handler
 * table and the stats' route counters; ROUTE_NAMES are the keys of MockStats.byRoute.
 */
import type { Exchange } from './handler.js';

export const ROUTE_NAMES = ['predict', 'classify', 'regress', 'infer', 'model', 'chat', 'completion', 'preflight', 'unrouted', 'notFound', 'embedding'] as const;

// Plain constants rather than a const enum: vitest transpiles files one by one.
export const Route = {
  Predict: 0,
  Classify: 1,
  Regress: 2,
  Infer: 3,
  Model: 4,
  Chat: 5,
  Completion: 6,
  Preflight: 7,
  Unrouted: 8,
  NotFound: 9,
  Embedding: 10,
} as const;

/** GET answers of the model route. */
export const Meta = { V1: 0, V2Meta: 1, V2Ready: 2, Live: 3, Ready: 4, OpenAiModels: 5 } as const;

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Sets ex.route, ex.model and ex.meta from the upstream path; leaves Route.NotFound if none fits. */
export function classifyPath(ex: Exchange, s: string): void {
  if (s.startsWith('/v1/models/')) classifyV1(ex, s.slice(11));
  else if (s.startsWith('/v2/models/')) classifyV2(ex, s.slice(11));
  else if (s === '/v1/models') {
    // vLLM's OpenAI server lists its models here; servebench's check request of an LLM asks it.
    ex.route = Route.Model;
    ex.meta = Meta.OpenAiModels;
  } else if (s === '/v1/chat/completions') ex.route = Route.Chat;
  else if (s === '/v1/completions') ex.route = Route.Completion;
  else if (s === '/v1/embeddings') ex.route = Route.Embedding;
  else if (s === '/v2/health/live' || s === '/v2/health/ready') {
    ex.route = Route.Model;
    ex.meta = s.endsWith('live') ? Meta.Live : Meta.Ready;
  }
}

/** `<model>` (metadata) or `<model>:predict|classify|regress`. */
function classifyV1(ex: Exchange, rest: string): void {
  if (rest.length === 0 || rest.includes('/')) return;
  const c = rest.lastIndexOf(':');
  if (c < 0) {
    ex.route = Route.Model;
    ex.meta = Meta.V1;
    ex.model = decode(rest);
    return;
  }
  ex.model = decode(rest.slice(0, c));
  const verb = rest.slice(c + 1);
  if (verb === 'predict') ex.route = Route.Predict;
  else if (verb === 'classify') ex.route = Route.Classify;
  else if (verb === 'regress') ex.route = Route.Regress;
}

/** `<model>`, `<model>/ready`, `<model>/infer`, optionally with `/versions/<v>` before the verb. */
function classifyV2(ex: Exchange, rest: string): void {
  const parts = rest.split('/');
  ex.model = decode(parts[0]);
  if (ex.model.length === 0) return;
  if (parts.length === 1) {
    ex.route = Route.Model;
    ex.meta = Meta.V2Meta;
    return;
  }
  const tail = parts.length === 4 && parts[1] === 'versions' ? parts[3] : parts.length === 2 ? parts[1] : '';
  if (tail === 'infer') ex.route = Route.Infer;
  else if (tail === 'ready') {
    ex.route = Route.Model;
    ex.meta = Meta.V2Ready;
  }
}

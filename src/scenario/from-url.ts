/**
 * An inference URL as Hopsworks shows it (`deployment.get_inference_url()`, `get_openai_url()`)
 * → the target and workload it names. Path routing reads project and deployment from the path;
 * host routing (`--host <deployment>.<project>.<domain>`) reads them from the Host name.
 *
 *   /v1/<project>/<deployment>/v1/models/<model>:predict|:classify|:regress
 *   /v1/<project>/<deployment>/v2/models/<model>/infer
 *   /v1/<project>/<deployment>/v1/chat/completions | /v1/completions | /v1/embeddings | /v1 (OpenAI base: chat)
 */
import { ServebenchError } from '../errors.js';
import type { Routing, WorkloadKind } from './types.js';

export interface UrlTarget {
  /** scheme://host[:port], what target.url takes. */
  readonly origin: string;
  readonly project: string;
  readonly deployment: string;
  readonly routing: Routing;
  /** Host routing only: the domain after `<deployment>.<project>.`. */
  readonly knativeDomain?: string;
  readonly kind: WorkloadKind;
  /** From the path (predictive kinds); undefined for the OpenAI endpoints, which name it in the body. */
  readonly model?: string;
}

const ENDPOINTS = "/v1/models/<model>:predict (or :classify, :regress), /v2/models/<model>/infer, /v1/chat/completions, /v1/completions or /v1/embeddings";

function usage(flag: string, message: string, hint?: string): ServebenchError {
  return new ServebenchError('E_USAGE', `${flag}: ${message}`, { hint });
}

/** The endpoint part of a path (what follows the routing prefix): its kind and model. */
function decode(part: string, shown: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw usage('--url', `'${shown}' has a badly escaped part '${part}'`);
  }
}

export function endpointOf(suffix: string, shown: string): { kind: WorkloadKind; model?: string } {
  const dec = (s: string) => decode(s, shown);
  let m = /^\/v1\/models\/([^/]+):(predict|classify|regress)$/.exec(suffix);
  if (m) return { kind: m[2] as WorkloadKind, model: dec(m[1]) };
  m = /^\/v2\/models\/([^/]+)\/infer$/.exec(suffix);
  if (m) return { kind: 'infer', model: dec(m[1]) };
  if (/^\/v2\/models\/[^/]+\/versions\/[^/]+\/infer$/.test(suffix)) {
    throw usage('--url', `'${shown}' names a model version; V2 workloads call /v2/models/<model>/infer`, 'drop /versions/<v> from the URL');
  }
  if (suffix === '/v1/chat/completions' || suffix === '/v1' || suffix === '/v1/') return { kind: 'chat' };
  if (suffix === '/v1/completions') return { kind: 'completion' };
  if (suffix === '/v1/embeddings') return { kind: 'embedding' };
  throw usage('--url', `'${shown}' names no endpoint servebench knows (the path ends in '${suffix || '/'}')`, `an inference URL ends in ${ENDPOINTS}`);
}

/** `<deployment>.<project>.<domain>` → its parts (already in the lower-case form the gateway matches). */
export function parseHostName(host: string): { deployment: string; project: string; knativeDomain: string } {
  const labels = host.trim().replace(/\.$/, '').split('.');
  if (labels.length < 3 || labels.some((l) => l === '' || !/^[A-Za-z0-9-]+$/.test(l))) {
    throw usage('--host', `'${host}' is not <deployment>.<project>.<domain>`, 'give the Host header a host-routed deployment answers to, e.g. fraud.my-project.hopsworks.ai');
  }
  const [deployment, project, ...rest] = labels;
  return { deployment: deployment.toLowerCase(), project: project.toLowerCase(), knativeDomain: rest.join('.').toLowerCase() };
}

export function parseInferenceUrl(raw: string, host?: string): UrlTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw usage('--url', `'${raw}' is not a URL`, 'paste the inference URL of the deployment, e.g. https://<gateway>/v1/my_project/fraud/v1/models/fraud:predict');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage('--url', `'${raw}' is not http(s)`);
  // Credentials in the URL would be written to the reports with it: the key goes in --api-key-env.
  if (u.username || u.password) throw usage('--url', 'the URL carries a user name or password', 'pass the API key with --api-key-env NAME');
  if (u.search || u.hash) throw usage('--url', `'${raw}' has a query or fragment; servebench builds the request path itself`);
  const path = u.pathname.replace(/\/+$/, '') || '/';

  if (host !== undefined) {
    const h = parseHostName(host);
    return { origin: u.origin, routing: 'host', ...h, ...endpointOf(path, raw) };
  }
  const m = /^\/v1\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
  // `/v1/models/x:predict` alone has no project/deployment: that is a host-routed deployment's URL.
  if (!m || m[1] === 'models' || endpointLike(path)) {
    throw usage(
      '--url',
      `'${raw}' has no /v1/<project>/<deployment>/ prefix (path routing)`,
      'for a host-routed deployment give --host <deployment>.<project>.<domain> as well',
    );
  }
  const [, project, deployment, suffix = ''] = m;
  return { origin: u.origin, routing: 'path', project: decode(project, raw), deployment: decode(deployment, raw), ...endpointOf(suffix, raw) };
}

/** A bare OpenAI path (`/v1/chat/completions`) also matches /v1/<p>/<d>: it is not a prefix. */
function endpointLike(path: string): boolean {
  return path === '/v1/chat/completions' || path === '/v1/completions' || path === '/v1/embeddings';
}

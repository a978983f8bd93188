/**
 * Request URLs and headers per routing mode (DESIGN.md "Request URLs"). Built once per workload,
 * never per request.
 */
import type { ResolvedTarget, WorkloadKind } from '../scenario/types.js';

/** `<deployment>.<project>.<knativeDomain>`, lower-cased, anything outside [a-z0-9-] as '-'. */
export function knativeHost(t: Pick<ResolvedTarget, 'deployment' | 'project' | 'knativeDomain'>): string {
  const label = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${label(t.deployment)}.${label(t.project)}.${t.knativeDomain.toLowerCase()}`;
}

/** The path suffix a workload kind calls. */
export function suffixFor(kind: WorkloadKind, model: string): string {
  const m = encodeURIComponent(model);
  switch (kind) {
    case 'predict':
      return `/v1/models/${m}:predict`;
    case 'classify':
      return `/v1/models/${m}:classify`;
    case 'regress':
      return `/v1/models/${m}:regress`;
    case 'infer':
      return `/v2/models/${m}/infer`;
    case 'chat':
      return '/v1/chat/completions';
    case 'completion':
      return '/v1/completions';
    case 'embedding':
      return '/v1/embeddings';
  }
}

export interface RequestTarget {
  /** scheme://host[:port] for the undici pool. */
  readonly origin: string;
  /** Path including any base path, e.g. /v1/my_project/fraud/v1/models/fraud:predict. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function requestTarget(t: ResolvedTarget, kind: WorkloadKind, model: string): RequestTarget {
  const u = new URL(t.url);
  const base = u.pathname.replace(/\/+$/, '');
  const suffix = suffixFor(kind, model);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (t.apiKey !== undefined) headers.authorization = `ApiKey ${t.apiKey}`;
  let path: string;
  if (t.routing === 'path') {
    path = `${base}/v1/${encodeURIComponent(t.project)}/${encodeURIComponent(t.deployment)}${suffix}`;
  } else {
    path = `${base}${suffix}`;
    headers.host = knativeHost(t);
  }
  return { origin: u.origin, path, headers };
}

/** The target URL as it may appear in reports: no credentials, no query. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url === 'embedded' ? url : '(invalid url)';
  }
}

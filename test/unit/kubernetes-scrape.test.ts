// The shard pods announce their live metrics to Prometheus: the scrape annotations, the
// --metrics-port argument and the container port name one port.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseMetricsPort } from '../../src/live/server.js';

const file = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes', 'job-shards.yaml');

describe('shard pods are scraped', () => {
  it('annotations, --metrics-port and containerPort agree', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const job = parseAllDocuments(readFileSync(file, 'utf8'))[0].toJS() as any;
    const tpl = job.spec.template;
    const ann = tpl.metadata.annotations;
    expect(ann['prometheus.io/scrape']).toBe('true');
    expect(ann['prometheus.io/path']).toBe('/metrics');
    const c = tpl.spec.containers[0];
    const args: string[] = c.args;
    const port = parseMetricsPort(args[args.indexOf('--metrics-port') + 1]);
    expect(port).toBe(Number(ann['prometheus.io/port']));
    expect(c.ports).toContainEqual({ name: 'metrics', containerPort: port, protocol: 'TCP' });
  });
});

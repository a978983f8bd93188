/**
 * Offline checks of deploy/kubernetes: every manifest parses, and the Indexed Job, its merge Job and
 * the objects they reference agree with each other and with servebench's command line. No cluster,
 * no network: the fields a Job needs to run shards are checked directly.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseScenarioText } from '../../src/workload/scenario.js';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');
const root = join(import.meta.dirname, '..', '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const API_VERSIONS: Record<string, string> = { Job: 'batch/v1', ConfigMap: 'v1', PersistentVolumeClaim: 'v1', Pod: 'v1', Secret: 'v1' };

function manifests(): Array<{ file: string; doc: Obj }> {
  const out: Array<{ file: string; doc: Obj }> = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      expect(d.errors, `${file}: ${d.errors.map((e) => e.message).join('; ')}`).toEqual([]);
      const doc = d.toJS();
      if (doc !== null) out.push({ file, doc });
    }
  }
  return out;
}

const all = manifests();
const ofKind = (kind: string) => all.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const named = (kind: string, name: string) => ofKind(kind).find((d) => d.metadata.name === name);
const jobs = ofKind('Job');
const shardJob = jobs.find((j) => j.spec.completionMode === 'Indexed');
const mergeJob = jobs.find((j) => j.spec.template.spec.containers[0].args[0] === 'merge');

function argAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Pod-level checks every workload here must pass. */
function checkPodSpec(where: string, spec: Obj): void {
  expect(spec.securityContext?.runAsNonRoot, `${where}: runAsNonRoot`).toBe(true);
  expect(spec.securityContext?.runAsUser, `${where}: runAsUser`).toBeGreaterThan(0);
  const volumes = new Map<string, Obj>((spec.volumes ?? []).map((v: Obj) => [v.name, v]));
  for (const c of spec.containers) {
    expect(c.image, `${where}: image`).toMatch(/servebench/);
    expect(c.securityContext?.allowPrivilegeEscalation, `${where}/${c.name}: allowPrivilegeEscalation`).toBe(false);
    expect(c.volumeMounts?.length, `${where}/${c.name}: volume mounts`).toBeGreaterThan(0);
    for (const m of c.volumeMounts) {
      const v = volumes.get(m.name);
      expect(v, `${where}/${c.name}: mount '${m.name}' has a volume`).toBeDefined();
      if (v.persistentVolumeClaim) expect(named('PersistentVolumeClaim', v.persistentVolumeClaim.claimName), `${where}: PVC ${v.persistentVolumeClaim.claimName}`).toBeDefined();
      if (v.configMap) expect(named('ConfigMap', v.configMap.name), `${where}: ConfigMap ${v.configMap.name}`).toBeDefined();
    }
  }
}

describe('deploy/kubernetes manifests', () => {
  it('each has a known apiVersion/kind and a name', () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const { file, doc } of all) {
      expect(API_VERSIONS[doc.kind], `${file}: kind ${doc.kind}`).toBeDefined();
      expect(doc.apiVersion, `${file}: apiVersion of ${doc.kind}`).toBe(API_VERSIONS[doc.kind]);
      expect(doc.metadata?.name, `${file}: metadata.name`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    // The API key never sits in a committed manifest.
    expect(ofKind('Secret')).toEqual([]);
  });

  it('runs the shards as an Indexed Job whose size matches --shard i/N', () => {
    expect(shardJob).toBeDefined();
    const spec = shardJob.spec;
    const n = spec.completions;
    expect(n).toBeGreaterThan(1);
    expect(spec.parallelism).toBe(n);
    expect(spec.template.spec.restartPolicy).toMatch(/^(Never|OnFailure)$/);
    const c = spec.template.spec.containers[0];
    expect(c.args[0]).toBe('run');
    expect(argAfter(c.args, '--shard')).toBe(`$(JOB_COMPLETION_INDEX)/${n}`);
    expect(argAfter(c.args, '--start-at')).toMatch(/^\$\([A-Z_]+\)$|^\d{13}$|^\d{4}-\d\d-\d\dT/);
    // Each shard has a folder of its own on the shared volume.
    const out = argAfter(c.args, '--out')!;
    expect(out).toContain('$(JOB_COMPLETION_INDEX)');
    // Every $(VAR) the arguments use is declared in env, else Kubernetes passes it on literally.
    const env = new Map<string, Obj>(c.env.map((e: Obj) => [e.name, e]));
    for (const m of c.args.join(' ').matchAll(/\$\(([A-Z_]+)\)/g)) expect(env.has(m[1]), `env ${m[1]}`).toBe(true);
    checkPodSpec('shard Job', spec.template.spec);
  });

  it('gives the API key from a Secret as HOPSWORKS_API_KEY, which the scenario reads', () => {
    const c = shardJob.spec.template.spec.containers[0];
    const key = c.env.find((e: Obj) => e.name === 'HOPSWORKS_API_KEY');
    expect(key?.valueFrom?.secretKeyRef?.name).toBeTruthy();
    expect(key?.valueFrom?.secretKeyRef?.key).toBeTruthy();
    expect(key.value).toBeUndefined();
    // The scenario comes from the ConfigMap mounted where `run` looks for it, and is valid.
    const scenarioPath = c.args[1] as string;
    const mount = c.volumeMounts.find((m: Obj) => scenarioPath.startsWith(m.mountPath + '/'));
    const vol = shardJob.spec.template.spec.volumes.find((v: Obj) => v.name === mount.name);
    const cm = named('ConfigMap', vol.configMap.name);
    const text = cm.data[scenarioPath.slice(mount.mountPath.length + 1)];
    expect(text).toContain('${HOPSWORKS_API_KEY}');
    const { scenario } = parseScenarioText(text, 'scenario.yaml', { env: { HOPSWORKS_API_KEY: 'k8s-test-key' } });
    expect(scenario.target.apiKey).toBe('k8s-test-key');
  });

  it('writes to a ReadWriteMany volume that the merge Job reads, and merges every shard', () => {
    const pvcName = shardJob.spec.template.spec.volumes.find((v: Obj) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
    expect(named('PersistentVolumeClaim', pvcName).spec.accessModes).toContain('ReadWriteMany');
    expect(mergeJob).toBeDefined();
    const ms = mergeJob.spec.template.spec;
    expect(ms.volumes.find((v: Obj) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName).toBe(pvcName);
    checkPodSpec('merge Job', ms);
    // The merge names the folder of each of the N shards, so a missing one is refused.
    const n = shardJob.spec.completions;
    const shardOut = argAfter(shardJob.spec.template.spec.containers[0].args, '--out')!;
    const args: string[] = ms.containers[0].args;
    const dirs = args.slice(1, args.indexOf('--out'));
    expect(dirs).toEqual(Array.from({ length: n }, (_, i) => shardOut.replace('$(JOB_COMPLETION_INDEX)', String(i))));
    expect(argAfter(args, '--out')).toBeTruthy();
    expect(args).not.toContain('--allow-partial');
  });

  it('builds a multi-stage, non-root image without local build output in its context', () => {
    const docker = readFileSync(join(root, 'Dockerfile'), 'utf8'); // the one image, also for these Jobs
    expect(docker.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const user = /^USER\s+(\S+)/m.exec(docker)?.[1] ?? 'root';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(docker).toMatch(/ENTRYPOINT \["node", "--single-threaded-gc", "\/app\/dist\/cli\/main\.js"\]/);
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', 'reports']) expect(ignore).toContain(p);
  });
});

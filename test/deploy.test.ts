// deploy/daemonset.yaml: the shape `kubectl apply --dry-run=client` needs, and least privilege.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import picomatch from 'picomatch';

interface Obj { [k: string]: unknown }
const docs = parseAllDocuments(readFileSync(new URL('../deploy/daemonset.yaml', import.meta.url), 'utf8'));
const objs = docs.map((d) => {
  assert.deepEqual(d.errors, [], 'YAML parses');
  return d.toJS() as Obj;
});
const get = (o: unknown, ...keys: string[]): any => keys.reduce<any>((x, k) => (x == null ? undefined : x[k]), o); // eslint-disable-line @typescript-eslint/no-explicit-any
const ds = objs.find((o) => o.kind === 'DaemonSet')!;
const pod = get(ds, 'spec', 'template', 'spec');
const containers: Obj[] = pod.containers;

test('every object has apiVersion, kind and a DNS-1123 name, and no namespace', () => {
  assert.deepEqual(objs.map((o) => o.kind).sort(), ['DaemonSet', 'ServiceAccount']);
  for (const o of objs) {
    assert.ok(typeof o.apiVersion === 'string' && o.apiVersion, 'apiVersion');
    assert.match(get(o, 'metadata', 'name'), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.equal(get(o, 'metadata', 'namespace'), undefined, 'namespace-less: kubectl apply -n chooses it');
  }
  assert.equal(ds.apiVersion, 'apps/v1');
  assert.equal(pod.serviceAccountName, get(objs.find((o) => o.kind === 'ServiceAccount'), 'metadata', 'name'));
});

test('selector matches the template labels', () => {
  const sel: Record<string, string> = get(ds, 'spec', 'selector', 'matchLabels');
  const labels: Record<string, string> = get(ds, 'spec', 'template', 'metadata', 'labels');
  assert.ok(sel && Object.keys(sel).length);
  for (const [k, v] of Object.entries(sel)) assert.equal(labels[k], v, `template label ${k}`);
});

test('container runs the headless watcher with metrics on 9464, image placeholder set', () => {
  assert.equal(containers.length, 1);
  const c = containers[0];
  assert.equal(c.image, 'ghcr.io/example/cni-doctor:0.1.0');
  const args = c.args as string[];
  assert.deepEqual(args.slice(0, 2), ['watch', '--headless']);
  assert.equal(args[args.indexOf('--metrics') + 1], ':9464');
  assert.equal(args[args.indexOf('--journal-dir') + 1], '/var/log/journal');
  // felix's output is only in the pod log files: without --file the DaemonSet never sees it, and
  // without --from-start not what calico-node wrote before the DaemonSet's pod started
  assert.ok(args.includes('--from-start'));
  const files = args.flatMap((a, i) => (a === '--file' ? [args[i + 1]] : []));
  const matches = (p: string): boolean => files.some((g) => picomatch(g)(p));
  assert.ok(matches('/var/log/pods/kube-system_calico-node-x7k2p_3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b/calico-node/0.log'));
  assert.ok(matches('/var/log/pods/kube-system_calico-node-x7k2p_3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b/install-cni/1.log'));
  assert.ok(!matches('/var/log/pods/kube-system_calico-node-x7k2p_3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b/calico-node/0.log.20250526-180000.gz'), 'rotated, compressed: not followed');
  assert.ok(!matches('/var/log/pods/default_web-1_77aa/web/0.log'));
  assert.ok((c.ports as Obj[]).some((p) => p.containerPort === 9464));
});

test('every volumeMount names a volume; host logs are mounted read-only', () => {
  const volumes = new Map((pod.volumes as Obj[]).map((v) => [v.name as string, v]));
  const mounts = containers.flatMap((c) => c.volumeMounts as Obj[]);
  for (const m of mounts) assert.ok(volumes.has(m.name as string), `volume ${m.name} exists`);
  for (const path of ['/var/log/journal', '/run/log/journal', '/etc/machine-id', '/var/log/pods']) {
    const m = mounts.find((x) => x.mountPath === path);
    assert.ok(m, `${path} mounted`);
    assert.equal(m.readOnly, true, `${path} read-only`);
    assert.equal(get(volumes.get(m.name as string), 'hostPath', 'path'), path, `${path} comes from the host`);
  }
  for (const [name, v] of volumes) if (v.hostPath) assert.ok(mounts.some((m) => m.name === name && m.readOnly === true), `hostPath ${name} only read-only`);
});

test('least privilege: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp, no host namespaces', () => {
  const psc = pod.securityContext;
  assert.equal(psc.runAsNonRoot, true);
  assert.ok(psc.runAsUser > 0);
  assert.ok(Array.isArray(psc.supplementalGroups) && psc.supplementalGroups.every((g: unknown) => Number.isInteger(g)), 'systemd-journal GID as a number');
  assert.equal(get(psc, 'seccompProfile', 'type'), 'RuntimeDefault');
  assert.notEqual(pod.hostNetwork, true);
  assert.notEqual(pod.hostPID, true);
  assert.notEqual(pod.hostIPC, true);
  assert.equal(pod.automountServiceAccountToken, false);
  for (const c of containers) {
    const sc = c.securityContext as Obj;
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.notEqual(sc.privileged, true);
    assert.deepEqual(get(sc, 'capabilities', 'drop'), ['ALL']);
    assert.equal(get(sc, 'capabilities', 'add'), undefined);
    for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(get(c, 'resources', kind, r), `resources.${kind}.${r}`);
  }
});

test('scrape annotations on the pod; tolerates every taint', () => {
  const ann: Record<string, string> = get(ds, 'spec', 'template', 'metadata', 'annotations');
  assert.equal(ann['prometheus.io/scrape'], 'true');
  assert.equal(ann['prometheus.io/port'], '9464');
  assert.ok((pod.tolerations as Obj[]).some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined));
});

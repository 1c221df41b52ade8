// Deterministic generator of realistic MicroK8s/Calico node logs for the benchmark (and the prefilter
// regression test). Journal `short` style: ~45% kubelite klog, ~25% containerd logrus, ~30% calico-node
// (felix/confd/bird, as if forwarded to the journal), with failure "episodes" injected at known places.
// Failure shapes are copied from the positive examples in patterns/**/*.yaml; every injected record is
// counted per diagnosis id in a sidecar JSON, which is what `bench/run.ts` checks the analyze report against.
//
//   node --import tsx bench/generate.ts [--size 256M] [--seed 42] [--episodes 40] [--bundles] [--bundle-size 256M] [--force]
//
// Seeded PRNG only (sfc32): the same parameters always give the same bytes. Outputs are cached under
// bench/out/ and regenerated only when the parameters or this file change.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = path.join(BENCH_DIR, 'out');
const GEN_SOURCE_HASH = createHash('sha1').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 12);

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// ---------------------------------------------------------------------------------------------------
// PRNG: sfc32 (no Math.random anywhere)

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  float(): number {
    return this.u32() / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  /** exponential with the given mean */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i += 2) {
      if ((i & 7) === 0) this.w = this.u32();
      s += HEX2[this.w & 255];
      this.w >>>= 8;
    }
    return n & 1 ? s.slice(0, n) : s;
  }
  private w = 0;
  alnum(n: number): string {
    const cs = 'bcdfghjklmnpqrstvwxz2456789';
    let s = '';
    for (let i = 0; i < n; i++) s += cs[this.int(cs.length)];
    return s;
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Parameters and results

export type Layout = 'journal' | 'inspect';
export type LineClass = 'kubelite' | 'containerd' | 'calico' | 'kernel';

export interface GenParams {
  /** target bytes of generated log text (stops at the first line boundary past it) */
  size: number;
  seed: number;
  /** failure episodes (each ~10 records: felix --set-mark storm, kube-proxy --xor-mark blocks, probes, back-offs) */
  episodes: number;
  /** probability per background line of a benign near-miss (a line holding a signal's literal but not a failure) */
  nearMissRate: number;
}

export const DEFAULT_PARAMS: GenParams = { size: 256 << 20, seed: 42, episodes: 40, nearMissRate: 1 / 12000 };

export interface Expectations {
  /** diagnosis id → occurrences (one per record matching one or more of the pattern's signals) */
  diagnoses: Record<string, number>;
  /** facts the log states (checked softly: a mismatch is a warning) */
  facts: Record<string, string>;
}

export interface GenStats {
  bytes: number;
  lines: number;
  mix: Record<LineClass, number>;
  lineLength: { p50: number; p90: number; p99: number; max: number; mean: number };
  injectedRecords: number;
  injectedLines: number;
  injected: Record<string, number>;
  nearMisses: Record<string, number>;
  firstTime: string;
  lastTime: string;
}

export interface Sidecar {
  generator: string;
  generatorHash: string;
  kind: 'plain' | 'inspect-tar.gz' | 'sosreport-tar.xz';
  file: string;
  params: GenParams;
  /** bytes of the file on disk (compressed for bundles) */
  fileBytes: number;
  /** bytes of the decompressed tar stream (bundles) */
  tarBytes?: number;
  stats: GenStats;
  expect: Expectations;
  generatedSeconds: number;
  compressSeconds?: number;
}

/** Where generated lines go: returns the bytes written. `prefix` is the journal prefix (stamp, host, identifier). */
export interface Sink {
  line(cls: LineClass, prefix: string, msg: string): number;
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary

const HOST = 'k8s-node-03';
const NODE_IP = '10.0.0.13';
const KUBELITE = 'microk8s.daemon-kubelite[2187]';
const CONTAINERD = 'microk8s.daemon-containerd[1932]';
const CALICO = 'calico-node[4242]';
const KPID = '   2187';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const START = Date.UTC(2025, 4, 26, 0, 0, 7); // May 26 2025
/** mean log time between lines (µs): ~2 days per GiB */
const MEAN_GAP_US = 38_000;

const DEPLOYS: [string, string, string[]][] = [
  ['kube-system', 'coredns', ['coredns']],
  ['kube-system', 'calico-kube-controllers', ['calico-kube-controllers']],
  ['kube-system', 'metrics-server', ['metrics-server']],
  ['kube-system', 'hostpath-provisioner', ['hostpath-provisioner']],
  ['ingress', 'nginx-ingress-microk8s-controller', ['nginx-ingress-microk8s']],
  ['monitoring', 'prometheus-k8s', ['prometheus', 'config-reloader']],
  ['monitoring', 'alertmanager-main', ['alertmanager', 'config-reloader']],
  ['monitoring', 'grafana', ['grafana', 'grafana-sc-dashboard']],
  ['monitoring', 'kube-state-metrics', ['kube-state-metrics', 'kube-rbac-proxy-main']],
  ['observability', 'loki', ['loki']],
  ['observability', 'promtail', ['promtail']],
  ['cert-manager', 'cert-manager', ['cert-manager-controller']],
  ['cert-manager', 'cert-manager-webhook', ['cert-manager-webhook']],
  ['shop-prod', 'checkout', ['checkout', 'istio-proxy']],
  ['shop-prod', 'payments', ['payments']],
  ['shop-prod', 'orders-api', ['orders-api']],
  ['shop-prod', 'inventory', ['inventory']],
  ['shop-prod', 'frontend', ['frontend', 'nginx']],
  ['shop-prod', 'redis-cart', ['redis']],
  ['shop-staging', 'frontend', ['frontend']],
  ['shop-staging', 'orders-api', ['orders-api', 'migrate']],
  ['default', 'postgres', ['postgres', 'pgbouncer']],
  ['metallb-system', 'controller', ['controller']],
  ['metallb-system', 'speaker', ['speaker']],
];
const IMAGES = [
  'docker.io/coredns/coredns:1.12.0', 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', 'registry.k8s.io/pause:3.10',
  'docker.io/calico/cni:v3.29.3', 'docker.io/calico/kube-controllers:v3.29.3', 'docker.io/calico/pod2daemon-flexvol:v3.29.3',
  'quay.io/prometheus/prometheus:v3.2.1', 'docker.io/grafana/grafana:11.5.2', 'docker.io/grafana/loki:3.4.2',
  'ghcr.io/shop/checkout:2.14.1', 'ghcr.io/shop/payments:1.9.0', 'ghcr.io/shop/orders-api:4.2.7', 'docker.io/library/redis:7.4.2',
  'docker.io/library/postgres:16.8', 'quay.io/jetstack/cert-manager-controller:v1.17.1', 'quay.io/metallb/speaker:v0.14.9',
];
const VERBS = ['GET', 'GET', 'GET', 'LIST', 'WATCH', 'PATCH', 'PUT', 'POST'];
const RESOURCES = ['pods', 'configmaps', 'secrets', 'endpointslices', 'leases', 'events', 'services', 'nodes'];
const AGENTS = ['kubelet/v1.32.3 (linux/amd64) kubernetes/c83cbee', 'kube-controller-manager/v1.32.3 (linux/amd64) kubernetes/c83cbee/leader-election',
  'calico-node/v0.0.0 (linux/amd64) kubernetes/$Format', 'prometheus/3.2.1', 'kubectl/v1.32.3 (linux/amd64) kubernetes/c83cbee', 'Go-http-client/2.0'];
const CHAINS = ['cali-PREROUTING', 'cali-POSTROUTING', 'cali-from-host-endpoint', 'cali-to-host-endpoint', 'cali-fw-cali0a1b2c3d4e5', 'cali-tw-cali0a1b2c3d4e5', 'cali-pri-kns.shop-prod'];
const TABLES = ['filter', 'mangle', 'nat', 'raw'];

// Template weights (indices match the switch cases; the last index is the default case).
const KUBELITE_W = [24, 115, 18, 11, 6, 80, 8, 12, 3, 7, 12, 60, 28, 2, 4, 70, 120, 40, 15, 90, 20, 90, 10];
const CONTAINERD_W = [80, 28, 6, 8, 55, 55, 55, 6, 8, 20, 4, 60, 12, 2, 30, 45];
const CALICO_W = [10, 80, 55, 50, 60, 50, 45, 18, 65, 60, 45, 50, 25, 15, 45, 2, 30, 35, 15, 25];

function pickWeighted(r: Rng, w: readonly number[]): number {
  let total = 0;
  for (const x of w) total += x;
  let k = r.int(total);
  for (let i = 0; i < w.length; i++) { k -= w[i]; if (k < 0) return i; }
  return w.length - 1;
}

interface Pod { ns: string; name: string; uid: string; ip: string; containers: string[]; iface: string; cids: string[]; sandbox: string }

function makePods(r: Rng): Pod[] {
  const pods: Pod[] = [];
  for (const [ns, deploy, containers] of DEPLOYS) {
    const rs = r.alnum(r.range(9, 10));
    const n = r.range(1, 4);
    for (let i = 0; i < n; i++) {
      pods.push({
        ns, name: `${deploy}-${rs}-${r.alnum(5)}`, uid: r.uuid(), ip: `10.1.${r.range(1, 254)}.${r.range(2, 254)}`,
        containers, iface: `cali${r.hex(11)}`, cids: containers.map(() => r.hex(64)), sandbox: r.hex(64),
      });
    }
  }
  return pods;
}

// ---------------------------------------------------------------------------------------------------
// The generator

interface Pending { at: number; kind: string; fn: () => void }

export class LogGenerator {
  private r: Rng;
  private pods: Pod[];
  private calicoPod = { name: 'calico-node-x7k2p', uid: '3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b' };
  private t: number; // µs since epoch
  private sec = -1;
  private jStamp = '';
  private kStamp = '';
  private fStamp = '';
  private iStamp = '';
  private pJournal: Record<'kubelite' | 'containerd' | 'calico' | 'kernel', string> = { kubelite: '', containerd: '', calico: '', kernel: '' };
  private queue: Pending[] = [];
  private episodeAt: number[] = [];
  private lineNo = 0;
  private bytes = 0;
  private hist = new Uint32Array(1 << 16);
  readonly stats: GenStats;
  readonly expect: Expectations = { diagnoses: {}, facts: { 'kernel.release': '6.8.0-57-generic', 'ipv6.enabled': 'true' } };
  private felixPid = 83;

  constructor(private p: GenParams, private sink: Sink) {
    this.r = new Rng(p.seed);
    this.pods = makePods(this.r);
    this.t = START * 1000;
    this.stats = {
      bytes: 0, lines: 0, mix: { kubelite: 0, containerd: 0, calico: 0, kernel: 0 },
      lineLength: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }, injectedRecords: 0, injectedLines: 0, injected: {}, nearMisses: {},
      firstTime: new Date(START).toISOString(), lastTime: '',
    };
    // Episodes start at spread-out byte offsets, in order, all before 95% of the file.
    const E = p.episodes;
    for (let i = 0; i < E; i++) this.episodeAt.push(Math.floor(((i + 0.05 + 0.9 * this.r.float()) / E) * p.size * 0.93 + p.size * 0.01));
  }

  // -- time ------------------------------------------------------------------------------------------
  private tick(): void {
    this.t += Math.floor(this.r.exp(MEAN_GAP_US));
    const s = Math.floor(this.t / 1e6);
    if (s !== this.sec) {
      this.sec = s;
      const d = new Date(s * 1000);
      const mo = d.getUTCMonth();
      const dd = String(d.getUTCDate()).padStart(2, '0');
      const hms = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
      const mm = String(mo + 1).padStart(2, '0');
      this.jStamp = `${MONTHS[mo]} ${dd} ${hms} ${HOST} `;
      this.kStamp = `${mm}${dd} ${hms}`;
      this.fStamp = `${d.getUTCFullYear()}-${mm}-${dd} ${hms}`;
      this.iStamp = `${d.getUTCFullYear()}-${mm}-${dd}T${hms}`;
      this.pJournal = { kubelite: `${this.jStamp}${KUBELITE}: `, containerd: `${this.jStamp}${CONTAINERD}: `, calico: `${this.jStamp}${CALICO}: `, kernel: `${this.jStamp}kernel: ` };
    }
  }
  private usec(): string {
    return String(this.t % 1e6).padStart(6, '0');
  }
  private klog(level: 'I' | 'W' | 'E', file: string): string {
    return `${level}${this.kStamp}.${this.usec()} ${KPID} ${file}] `;
  }
  private felix(level: string, pid: number, file: string): string {
    return `${this.fStamp}.${String(Math.floor((this.t % 1e6) / 1000)).padStart(3, '0')} [${level}][${pid}] ${file}: `;
  }
  private logrus(level: string): string {
    return `time="${this.iStamp}.${this.usec()}${String(this.r.int(1000)).padStart(3, '0')}Z" level=${level} `;
  }

  private emit(cls: LineClass, msg: string): void {
    const n = this.sink.line(cls, this.pJournal[cls], msg);
    this.bytes += n;
    this.lineNo++;
    this.stats.mix[cls]++;
    const len = n - 1;
    this.hist[len < 65535 ? len : 65535]++;
    if (len > this.stats.lineLength.max) this.stats.lineLength.max = len;
  }

  // -- background lines ------------------------------------------------------------------------------
  // Each class draws a template by weight (per mille); weights are tuned so that the whole file's line
  // lengths land near p50 217 / p90 274 bytes (shared/reference/scan-performance.md).
  private kubelite(): void {
    const r = this.r;
    const p = r.pick(this.pods);
    const c = r.int(p.containers.length);
    let m: string;
    switch (pickWeighted(r, KUBELITE_W)) {
      case 0: m = `${this.klog('I', 'kubelet.go:2453')}"SyncLoop (PLEG): event for pod" pod="${p.ns}/${p.name}" event={"ID":"${p.uid}","Type":"${r.pick(['ContainerStarted', 'ContainerDied', 'ContainerStarted'])}","Data":"${p.cids[c]}"}`; break;
      case 1: m = `${this.klog('I', 'kubelet.go:2419')}"SyncLoop ${r.pick(['UPDATE', 'RECONCILE', 'UPDATE'])}" source="api" pods=["${p.ns}/${p.name}"]`; break;
      case 2: m = `${this.klog('I', 'httplog.go:134')}"HTTP" verb="${r.pick(VERBS)}" URI="/api/v1/namespaces/${p.ns}/${r.pick(RESOURCES)}/${p.name}" latency="${(r.exp(4) + 0.3).toFixed(3)}ms" userAgent="${r.pick(AGENTS)}" audit-ID="${r.uuid()}" srcIP="${NODE_IP}:${r.range(32768, 60999)}" resp=${r.pick([200, 200, 200, 201, 404, 409])}`; break;
      case 3: m = `${this.klog('I', 'prober.go:107')}"Probe failed" probeType="${r.pick(['Readiness', 'Liveness', 'Readiness'])}" pod="${p.ns}/${p.name}" podUID="${p.uid}" containerName="${p.containers[c]}" probeResult="failure" output="Get \\"http://${p.ip}:${r.pick([8080, 8081, 9090, 3000, 8443])}/${r.pick(['healthz', 'ready', 'livez', '-/ready'])}\\": dial tcp ${p.ip}:8080: connect: connection refused"`; break;
      case 4: {
        const v = `kube-api-access-${r.alnum(5)}`;
        m = `${this.klog('I', 'reconciler_common.go:251')}"operationExecutor.VerifyControllerAttachedVolume started for volume \\"${v}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-${v}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${p.ns}/${p.name}"`;
        break;
      }
      case 5: m = `${this.klog('I', 'scope.go:117')}"RemoveContainer" containerID="${r.hex(64)}"`; break;
      case 6: m = `${this.klog('I', 'kuberuntime_container.go:808')}"Killing container with a grace period" pod="${p.ns}/${p.name}" podUID="${p.uid}" containerName="${p.containers[c]}" containerID="containerd://${p.cids[c]}" gracePeriod=${r.pick([30, 30, 10, 60])}`; break;
      case 7: m = `${this.klog('I', 'event.go:389')}"Event occurred" object="${p.ns}/${p.name}" fieldPath="" kind="Pod" apiVersion="v1" type="Normal" reason="${r.pick(['Scheduled', 'Pulled', 'Created', 'Started'])}" message="Successfully assigned ${p.ns}/${p.name} to ${HOST}"`; break;
      case 8: m = `${this.klog('I', 'pod_startup_latency_tracker.go:104')}"Observed pod startup duration" pod="${p.ns}/${p.name}" podStartSLOduration=${(r.exp(3) + 0.5).toFixed(6)} podStartE2EDuration="${(r.exp(5) + 1).toFixed(6)}s" podCreationTimestamp="${this.fStamp} +0000 UTC" firstStartedPulling="0001-01-01 00:00:00 +0000 UTC" lastFinishedPulling="0001-01-01 00:00:00 +0000 UTC" observedRunningTime="${this.fStamp}.${this.usec()} +0000 UTC" watchObservedRunningTime="${this.fStamp}.${this.usec()} +0000 UTC"`; break;
      case 9: m = `${this.klog('W', 'reflector.go:561')}k8s.io/client-go/informers/factory.go:160: watch of *v1.${r.pick(['Pod', 'ConfigMap', 'Secret', 'Service', 'Node'])} ended with: an error on the server ("unable to decode an event from the watch stream: http2: client connection lost") has prevented the request from succeeding`; break;
      case 10: {
        const uid = r.uuid();
        m = `${this.klog('I', 'kubelet_volumes.go:163')}"Cleaned up orphaned pod volumes dir" podUID="${uid}" path="/var/snap/microk8s/common/var/lib/kubelet/pods/${uid}/volumes"`;
        break;
      }
      case 11: m = `${this.klog('I', 'schedule_one.go:314')}"Successfully bound pod to node" pod="${p.ns}/${p.name}" node="${HOST}" evaluatedNodes=${r.range(1, 3)} feasibleNodes=1`; break;
      case 12: m = `${this.klog('I', 'kubelet_pods.go:1007')}"Unable to retrieve pull secret, the image pull may not succeed." pod="${p.ns}/${p.name}" secret="" err="secret \\"regcred\\" not found"`; break;
      case 13: m = `${this.klog('I', 'trace.go:236')}Trace[${r.range(100000000, 2147483647)}]: "${r.pick(['List', 'Update', 'Patch'])}" accept:application/json, */*,audit-id:${r.uuid()},client:${NODE_IP},api-group:,api-version:v1,name:,subresource:,namespace:${p.ns},protocol:HTTP/2.0,resource:${r.pick(RESOURCES)},scope:namespace,url:/api/v1/namespaces/${p.ns}/${r.pick(RESOURCES)},verb:LIST (${this.fStamp}) (total time: ${r.range(500, 4000)}ms):`; break;
      case 14: m = `${this.klog('I', 'reconciler_common.go:299')}"Volume detached for volume \\"kube-api-access-${r.alnum(5)}\\" (UniqueName: \\"kubernetes.io/projected/${p.uid}-kube-api-access-${r.alnum(5)}\\") on node \\"${HOST}\\" DevicePath \\"\\""`; break;
      case 15: m = `${this.klog('I', 'leaderelection.go:271')}"successfully renewed lease" lease="kube-system/${r.pick(['kube-controller-manager', 'kube-scheduler'])}" duration="${r.range(2, 40)}.${r.range(100, 999)}ms"`; break;
      case 16: m = `${this.klog('I', 'kubelet.go:2542')}"SyncLoop (probe)" probe="${r.pick(['readiness', 'liveness', 'startup'])}" status="${r.pick(['ready', 'ready', 'unhealthy', 'started'])}" pod="${p.ns}/${p.name}"`; break;
      case 17: m = `${this.klog('I', 'alloc.go:330')}"allocated clusterIPs" service="${p.ns}/${p.containers[0]}" clusterIPs={"IPv4":"10.152.183.${r.range(2, 254)}","IPv6":"fd98::${r.hex(4)}"}`; break;
      case 18: m = `${this.klog('I', 'controller.go:615')}quota admission added evaluator for: ${r.pick(['leases.coordination.k8s.io', 'endpoints', 'replicasets.apps', 'events.events.k8s.io', 'serviceaccounts'])}`; break;
      case 19: m = `${this.klog('I', 'replica_set.go:679')}"Finished syncing" logger="replicaset-controller" kind="ReplicaSet" key="${p.ns}/${p.name.slice(0, p.name.lastIndexOf('-'))}" duration="${(r.exp(80) + 5).toFixed(3)}µs"`.replace('µ', 'u'); break;
      case 20: m = `${this.klog('W', 'warnings.go:70')}${r.pick(['spec.template.spec.containers[0].env[3]: hides previous definition of "LOG_LEVEL"', 'metadata.finalizers: "foregroundDeletion": prefer a domain-qualified finalizer name', 'unknown field "spec.template.spec.containers[0].resources.claims"'])}`; break;
      case 21: m = `${this.klog('I', 'kubelet_getters.go:218')}"Pod status updated" pod="${p.ns}/${p.name}" status="${r.pick(['Running', 'Running', 'Pending', 'Succeeded'])}"`; break;
      default: {
        // A benign klog err=< block (each line its own journal entry): realistic multi-line shape, no literal.
        this.emit('kubelite', `${this.klog('E', 'reflector.go:158')}"Unhandled Error" err=<`);
        this.emit('kubelite', `\tk8s.io/client-go/informers/factory.go:160: Failed to watch *v1.${r.pick(['Pod', 'Service', 'Endpoints'])}: failed to list: Get "https://127.0.0.1:16443/api/v1/${r.pick(RESOURCES)}?limit=500&resourceVersion=0": dial tcp 127.0.0.1:16443: connect: connection refused`);
        m = ' > logger="UnhandledError"';
      }
    }
    this.emit('kubelite', m);
  }

  private containerd(): void {
    const r = this.r;
    const p = r.pick(this.pods);
    const c = r.int(p.containers.length);
    let m: string;
    switch (pickWeighted(r, CONTAINERD_W)) {
      case 0: m = `${this.logrus('info')}msg="StartContainer for \\"${p.cids[c]}\\" returns successfully"`; break;
      case 1: m = `${this.logrus('info')}msg="CreateContainer within sandbox \\"${p.sandbox}\\" for container &ContainerMetadata{Name:${p.containers[c]},Attempt:${r.int(4)},}"`; break;
      case 2: m = `${this.logrus('info')}msg="CreateContainer within sandbox \\"${p.sandbox}\\" for &ContainerMetadata{Name:${p.containers[c]},Attempt:${r.int(4)},} returns container id \\"${p.cids[c]}\\""`; break;
      case 3: m = `${this.logrus('info')}msg="RunPodSandbox for &PodSandboxMetadata{Name:${p.name},Uid:${p.uid},Namespace:${p.ns},Attempt:${r.int(3)},} returns sandbox id \\"${p.sandbox}\\""`; break;
      case 4: m = `${this.logrus('info')}msg="${r.pick(['StopPodSandbox', 'TearDown network', 'StopPodSandbox'])} for ${r.pick(['sandbox ', ''])}\\"${p.sandbox}\\"${r.pick([' returns successfully', ' successfully', ''])}"`; break;
      case 5: m = `${this.logrus('info')}msg="shim disconnected" id=${p.cids[c]} namespace=k8s.io`; break;
      case 6: m = `${this.logrus('warning')}msg="cleaning up after shim disconnected" id=${p.cids[c]} namespace=k8s.io`; break;
      case 7: m = `${this.logrus('info')}msg="connecting to shim ${p.cids[c]}" address="unix:///run/containerd/s/${r.hex(64)}" namespace=k8s.io protocol=ttrpc version=3`; break;
      case 8: m = `${this.logrus('info')}msg="PullImage \\"${r.pick(IMAGES)}\\" returns image reference \\"sha256:${r.hex(64)}\\""`; break;
      case 9: m = `${this.logrus('info')}msg="ImageUpdate event name:\\"${r.pick(IMAGES)}\\" labels:{key:\\"io.cri-containerd.image\\" value:\\"managed\\"}"`; break;
      case 10: {
        const id = r.hex(64);
        m = `${this.logrus('error')}msg="ContainerStatus for \\"${id}\\" failed" error="rpc error: code = NotFound desc = an error occurred when try to find container \\"${id}\\": not found"`;
        break;
      }
      case 11: m = `${this.logrus('info')}msg="RemoveContainer for \\"${p.cids[c]}\\"${r.pick(['', ' returns successfully'])}"`; break;
      case 12: m = `${this.logrus('info')}msg="Container to stop \\"${p.cids[c]}\\" must be in running or unknown state, current state \\"CONTAINER_EXITED\\""`; break;
      case 13: m = `${this.logrus('info')}msg="Pulled image \\"${r.pick(IMAGES)}\\" with image id \\"sha256:${r.hex(64)}\\", repo tag \\"${r.pick(IMAGES)}\\", repo digest \\"${r.pick(IMAGES).split(':')[0]}@sha256:${r.hex(64)}\\", size \\"${r.range(700000, 90000000)}\\" in ${(r.exp(3) + 0.2).toFixed(6)}s"`; break;
      case 14: m = `${this.logrus('info')}msg="${r.pick(['PullImage', 'ImageCreate event name:'])} \\"${r.pick(IMAGES)}\\""`; break;
      default: m = `${this.logrus(r.pick(['info', 'warning']))}msg="${r.pick(['No cni config template is specified, wait for other system components to drop the config.', 'cleaning up dead shim', 'failed to reload cni configuration after receiving fs change event(WRITE)', 'Ensure that sandbox has been cleaned up', 'received signal'])}"${r.pick(['', ' namespace=k8s.io', ' runtime=io.containerd.runc.v2'])}`;
    }
    this.emit('containerd', m);
  }

  private calico(): void {
    const r = this.r;
    const p = r.pick(this.pods);
    const fp = this.felixPid;
    const ipv = r.pick(['0x4', '0x4', '0x6']);
    const wep = `proto.WorkloadEndpointID{OrchestratorId:"k8s", WorkloadId:"${p.ns}/${p.name}", EndpointId:"eth0"}`;
    let m: string;
    switch (pickWeighted(r, CALICO_W)) {
      case 0: m = `${this.felix('INFO', fp, 'felix/int_dataplane.go 2034')}Received *proto.WorkloadEndpointUpdate update from calculation graph msg=id:<orchestrator_id:"k8s" workload_id:"${p.ns}/${p.name}" endpoint_id:"eth0" > endpoint:<state:"active" name:"${p.iface}" profile_ids:"kns.${p.ns}" ipv4_nets:"${p.ip}/32" > `; break;
      case 1: m = `${this.felix('INFO', fp, 'felix/summary.go 100')}Summarising ${r.range(3, 30)} dataplane reconciliation loops over ${r.range(1, 2)}m${(r.float() * 60).toFixed(1)}s: avg=${r.range(2, 40)}ms longest=${r.range(20, 400)}ms (${r.pick(['resync-filter-v4,resync-mangle-v4', 'update-filter-v6,update-nat-v4', 'resync-ipsets-v4,resync-routes-v4,update-filter-v4'])})`; break;
      case 2: m = `${this.felix('INFO', fp, 'felix/table.go 1321')}Invalidating dataplane cache ipVersion=${ipv} reason="refresh timer" table="${r.pick(TABLES)}"`; break;
      case 3: m = `${this.felix('INFO', fp, 'felix/int_dataplane.go 2107')}Finished applying updates to dataplane. msecToApply=${(r.exp(6) + 0.2).toFixed(6)}`; break;
      case 4: m = `${this.felix('INFO', fp, 'felix/endpoint_mgr.go 602')}Updating per-endpoint chains. id=${wep}`; break;
      case 5: m = `${this.felix('INFO', fp, 'felix/endpoint_mgr.go 1215')}Applying /proc/sys configuration to interface. ifaceName="${p.iface}"`; break;
      case 6: m = `${this.felix('INFO', fp, 'felix/route_table.go 1185')}Failed to access interface because it doesn't exist. error=Link not found ifaceName="${p.iface}" ifaceRegex="^cali.*" ipVersion=${ipv} tableIndex=254`; break;
      case 7: m = `${this.felix('INFO', fp, 'felix/status_combiner.go 81')}Endpoint up for at least one IP version id=${wep} ipVersion=${ipv} status="up"`; break;
      case 8: m = `${this.felix('INFO', fp, 'felix/calc_graph.go 467')}Local endpoint updated id=WorkloadEndpoint(node=${HOST}, orchestrator=k8s, workload=${p.ns}/${p.name}, name=eth0)`; break;
      case 9: m = `${this.felix('INFO', fp, 'felix/int_dataplane.go 1909')}Received interface update msg=&intdataplane.ifaceStateUpdate{Name:"${p.iface}", State:"${r.pick(['up', 'down'])}", Index:${r.range(5, 900)}}`; break;
      case 10: m = `${this.felix('INFO', fp, 'felix/hostip_mgr.go 84')}Interface addrs changed. update=&intdataplane.ifaceAddrsUpdate{Name:"${p.iface}", Addrs:set.Typed[string]{"fe80::ecee:eeff:feee:eeee":set.v{}}}`; break;
      case 11: m = `${this.felix('INFO', fp, 'felix/ipsets.go 130')}Queueing IP set for creation family="${r.pick(['inet', 'inet6'])}" setID="${r.pick(['this-host', 'all-ipam-pools', 'masq-ipam-pools', 'all-vxlan-net'])}" setType="hash:${r.pick(['ip', 'net'])}"`; break;
      case 12: m = `${this.felix('INFO', fp, 'felix/conntrack.go 90')}Removing conntrack flows ip=${p.ip}`; break;
      case 13: m = `${this.felix('INFO', fp, 'felix/health.go 336')}Overall health status changed: live=true ready=true`; break;
      case 14: m = `${this.felix('INFO', 95, 'confd/resource.go 277')}Target config /etc/calico/confd/config/bird${r.pick(['', '6'])}.cfg has been updated due to change in key: /calico/bgp/v1/host/${HOST}`; break;
      case 15: m = `${this.felix('INFO', 97, 'monitor-addresses/autodetection_methods.go 103')}Using autodetected IPv4 address on interface eth0: ${NODE_IP}/24`; break;
      case 16: m = `bird: Mesh_10_0_0_${r.range(2, 40)}: State changed to ${r.pick(['up', 'start', 'feed'])}`; break;
      case 17: m = `${this.felix('INFO', fp, 'felix/int_dataplane.go 1954')}Applying dataplane updates`; break;
      case 18: m = `${this.felix('INFO', fp, 'felix/int_dataplane.go 1968')}Dataplane updates throttled`; break;
      default: m = `${this.felix('INFO', fp, 'felix/vxlan_mgr.go 763')}${r.pick(['VXLAN device parent changed from "eth0" to "eth0"', 'Received VXLAN tunnel endpoint update', 'VXLAN tunnel device configured'])} ipVersion=${ipv}`;
    }
    this.emit('calico', m);
  }

  private kernel(): void {
    const r = this.r;
    const iface = `cali${r.hex(11)}`;
    this.emit('kernel', r.pick([
      `audit: type=1400 audit(${Math.floor(this.t / 1e6)}.${r.range(100, 999)}:${r.range(100, 9999)}): apparmor="STATUS" operation="profile_replace" profile="unconfined" name="cri-containerd.apparmor.d" pid=${r.range(1000, 99999)} comm="apparmor_parser"`,
      `IPv6: ADDRCONF(NETDEV_CHANGE): ${iface}: link becomes ready`,
      `${iface}: entered promiscuous mode`,
    ]));
  }

  // -- near-misses: benign lines that hold a signal literal (candidates that must not count) -----------
  private nearMiss(): void {
    const r = this.r;
    const x = r.int(100);
    let kind: string;
    if (x < 40) {
      kind = 'felix-rule-update-with-set-mark';
      this.emit('calico', `${this.felix('INFO', this.felixPid, 'felix/table.go 1280')}Applying rule update -A ${r.pick(CHAINS)} -m comment --comment "cali:${r.alnum(16)}" -j MARK --set-mark 0x${r.pick(['0', '10000', '20000'])}/0x30000 ipVersion=0x6 table="mangle"`);
    } else if (x < 75) {
      const p = r.pick(this.pods.filter((q) => !q.name.startsWith('calico')));
      kind = 'other-container-back-off';
      this.emit('kubelite', `${this.klog('E', 'pod_workers.go:1301')}"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"${p.containers[0]}\\" with CrashLoopBackOff: \\"back-off ${r.pick(['10s', '20s', '40s', '1m20s', '2m40s', '5m0s'])} restarting failed container=${p.containers[0]} pod=${p.name}_${p.ns}(${p.uid})\\"" pod="${p.ns}/${p.name}" podUID="${p.uid}"`);
    } else if (x < 88) {
      kind = 'calico-kube-controllers-back-off';
      const p = this.pods.find((q) => q.name.startsWith('calico-kube-controllers'))!;
      this.emit('kubelite', `${this.klog('I', 'kuberuntime_manager.go:1050')}"Back-off restarting failed container" err="back-off ${r.pick(['20s', '1m20s', '5m0s'])} restarting failed container=calico-kube-controllers pod=${p.name}_kube-system(${p.uid})"`);
    } else if (x < 94) {
      kind = 'ipv4-rule-append-failed';
      this.emit('kubelite', `iptables v1.8.9 (nf_tables):  RULE_APPEND failed (No such file or directory): rule in chain KUBE-${r.pick(['SERVICES', 'FORWARD', 'NODEPORTS'])}`);
    } else {
      kind = 'felix-ipv4-set-mark-rejected';
      this.emit('calico', `${this.felix('WARNING', this.felixPid, 'felix/table.go 1454')}Failed to execute ip(6)tables-restore command error=exit status 1 errorOutput="iptables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\n" input="" ipVersion=0x4 output="" table="mangle"`);
    }
    this.stats.nearMisses[kind] = (this.stats.nearMisses[kind] ?? 0) + 1;
  }

  // -- injected failures -----------------------------------------------------------------------------
  private count(kind: string, diagnosis: string | undefined, lines: number): void {
    this.stats.injected[kind] = (this.stats.injected[kind] ?? 0) + 1;
    this.stats.injectedRecords++;
    this.stats.injectedLines += lines;
    if (diagnosis) this.expect.diagnoses[diagnosis] = (this.expect.diagnoses[diagnosis] ?? 0) + 1;
  }

  private felixInput(rules: number): string {
    const r = this.r;
    let s = '*mangle\\n:cali-PREROUTING - -\\n:cali-from-host-endpoint - -\\n';
    for (let i = 0; i < rules; i++) {
      s += `-A ${r.pick(CHAINS)} -m comment --comment \\"cali:${r.alnum(16)}\\" -j MARK --set-mark 0x${r.pick(['0', '10000', '20000'])}/0x30000\\n`;
    }
    return `${s}COMMIT\\n`;
  }

  private setMarkFelix(nft: boolean, version: string): void {
    const r = this.r;
    // The input payload: usually a handful of rules, sometimes a full resync of several KiB (up to ~24 KiB).
    const rules = r.chance(0.1) ? r.range(40, 200) : r.range(1, 8);
    const errOut = nft
      ? `Warning: Extension MARK revision 0 not supported, missing kernel module?\\nip6tables-restore v${version} (nf_tables): unknown option \\"--set-mark\\"\\nError occurred at line: ${r.range(5, 40)}\\n`
      : `ip6tables-restore v${version} (legacy): unknown option \\"--set-mark\\"\\nError occurred at line: ${r.range(5, 40)}\\nTry \`ip6tables-restore -h' or 'ip6tables-restore --help' for more information.\\n`;
    this.emit('calico', `${this.felix('WARNING', this.felixPid, 'felix/table.go 1454')}Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="${errOut}" input="${this.felixInput(rules)}" ipVersion=0x6 output="" table="mangle"`);
    this.count(nft ? 'felix-set-mark-nf_tables' : 'felix-set-mark-legacy', 'kernel-ipv6-mark-regression', 1);
  }

  private xorMarkBlock(nft: boolean): void {
    const r = this.r;
    const lines = [`${this.klog('E', `proxier.go:${r.pick([1520, 1564])}`)}"Failed to execute iptables-restore" err=<`];
    if (nft) {
      lines.push('\texit status 2: Warning: Extension MARK revision 0 not supported, missing kernel module?');
      lines.push(`\tip6tables-restore v1.8.${r.pick([9, 10])} (nf_tables): unknown option "--xor-mark"`);
    } else {
      lines.push('\tIgnoring deprecated --wait-interval option.');
      lines.push('\texit status 2: ip6tables-restore v1.8.7 (legacy): unknown option "--xor-mark"');
    }
    lines.push(`\tError occurred at line: ${r.range(10, 60)}`);
    lines.push("\tTry `ip6tables-restore -h' or 'ip6tables-restore --help' for more information.");
    lines.push(' > ipFamily="IPv6"');
    for (const l of lines) this.emit('kubelite', l);
    this.count(nft ? 'kube-proxy-xor-mark-block-nf_tables' : 'kube-proxy-xor-mark-block-legacy', 'kernel-ipv6-mark-regression', lines.length);
    // kube-proxy's follow-up line (no literal)
    this.emit('kubelite', `${this.klog('I', 'proxier.go:1575')}"Sync failed" ipFamily="IPv6" retryingTime="30s"`);
  }

  private setXmark(): void {
    this.emit('kubelite', `ip6tables-restore v1.8.10 (nf_tables): unknown option "--set-xmark"`);
    this.count('ip6tables-set-xmark', 'kernel-ipv6-mark-regression', 1);
  }

  private probe(): void {
    const r = this.r;
    const cp = this.calicoPod;
    const x = r.int(10);
    let output: string;
    let kind: string;
    if (x < 6) { output = 'calico/node is not ready: felix is not ready: readiness probe reporting 503\\n'; kind = 'probe-felix-not-ready'; }
    else if (x < 8) { output = 'calico/node is not ready: Felix is not live: Get \\"http://localhost:9099/liveness\\": dial tcp [::1]:9099: connect: connection refused\\n'; kind = 'probe-felix-not-live'; }
    else { output = 'calico/node is not ready: BIRD is not ready: Error querying BIRD: unable to connect to BIRDv4 socket: dial unix /var/run/calico/bird.ctl: connect: connection refused\\n'; kind = 'probe-bird-not-ready'; }
    const type = kind === 'probe-felix-not-live' ? 'Liveness' : 'Readiness';
    this.emit('kubelite', `${this.klog('I', 'prober.go:107')}"Probe failed" probeType="${type}" pod="kube-system/${cp.name}" podUID="${cp.uid}" containerName="calico-node" probeResult="failure" output="${output}"`);
    this.count(kind, 'calico-node-not-ready', 1);
  }

  private backOff(step: number): void {
    const r = this.r;
    const cp = this.calicoPod;
    if (r.chance(0.6)) {
      const d = ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s'][Math.min(step, 5)];
      this.emit('kubelite', `${this.klog('E', 'pod_workers.go:1301')}"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"calico-node\\" with CrashLoopBackOff: \\"back-off ${d} restarting failed container=calico-node pod=${cp.name}_kube-system(${cp.uid})\\"" pod="kube-system/${cp.name}" podUID="${cp.uid}"`);
      this.count('kubelet-back-off-pod-workers', 'calico-node-crashloop', 1);
    } else {
      // kubelet's doBackOff: klog.V(3).InfoS("Back-off restarting failed container", "err", …)
      const d = ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s'][Math.min(step, 5)];
      this.emit('kubelite', `${this.klog('I', 'kuberuntime_manager.go:1050')}"Back-off restarting failed container" err="back-off ${d} restarting failed container=calico-node pod=${cp.name}_kube-system(${cp.uid})"`);
      this.count('kubelet-back-off-kuberuntime', 'calico-node-crashloop', 1);
    }
  }

  /** calico-node start-up lines that state facts (not failures). */
  private felixStartFacts(nft: boolean, version: string): void {
    const fp = this.felixPid;
    this.emit('calico', `${this.felix('INFO', fp, 'felix/feature_detect_linux.go 414')}Looked up iptables command backendMode="${nft ? 'nft' : 'legacy'}" candidates=[]string{"ip6tables-${nft ? 'nft' : 'legacy'}-restore", "ip6tables-restore"} command="ip6tables-${nft ? 'nft' : 'legacy'}-restore" ipVersion=0x6 saveOrRestore="restore"`);
    this.emit('calico', `${this.felix('INFO', fp, 'felix/feature_detect.go 174')}Updating detected iptables features features=environment.Features{SNATFullyRandom:true, MASQFullyRandom:true, RestoreSupportsLock:true, ChecksumOffloadBroken:true, IPIPDeviceIsL3:false} iptablesVersion=${version} kernelVersion=6.8.0-57`);
    if (nft) this.emit('calico', `${this.felix('INFO', fp, 'felix/table.go 467')}Enabling iptables-in-nftables-mode workarounds. ipVersion=0x6 table="mangle"`);
  }

  /** One crash-loop incident: calico-node restarts, felix fails on IPv6 MARK, probes fail, kubelet backs off. */
  private startEpisode(): void {
    const r = this.r;
    const at = this.lineNo;
    const nft = r.chance(0.6);
    const version = nft ? r.pick(['1.8.9', '1.8.10']) : '1.8.4';
    this.felixPid = r.range(60, 140);
    let k = at + r.range(1, 30);
    const q = (kind: string, fn: () => void, gapLines: number): void => {
      this.queue.push({ at: k, kind, fn });
      k += gapLines;
    };
    q('facts', () => this.felixStartFacts(nft, version), r.range(5, 40));
    const felixN = r.range(1, 4);
    for (let i = 0; i < felixN; i++) q('felix', () => this.setMarkFelix(nft, version), r.range(10, 60));
    const xorN = r.range(0, 2);
    for (let i = 0; i < xorN; i++) q('xor', () => this.xorMarkBlock(r.chance(0.6)), r.range(100, 800));
    if (r.chance(0.3)) q('xmark', () => this.setXmark(), r.range(20, 200));
    const probes = r.range(3, 5);
    for (let i = 0; i < probes; i++) q('probe', () => this.probe(), r.range(200, 320)); // ~10 s apart
    const backs = r.range(1, 3);
    for (let i = 0; i < backs; i++) q('backoff', () => this.backOff(i + r.int(3)), r.range(200, 600));
    this.queue.sort((a, b) => a.at - b.at);
  }

  // -- main loop -------------------------------------------------------------------------------------
  run(): GenStats {
    const r = this.r;
    let nextEpisode = 0;
    this.tick();
    // Boot and start-up lines that state facts.
    this.emit('kernel', 'Linux version 6.8.0-57-generic (buildd@lcy02-amd64-039) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #59-Ubuntu SMP PREEMPT_DYNAMIC Sat Mar 15 17:40:59 UTC 2025 (Ubuntu 6.8.0-57.59-generic 6.8.12)');
    this.tick();
    this.emit('kubelite', `${this.klog('I', 'server_linux.go:169')}"kube-proxy running in dual-stack mode" primary ipFamily="IPv4"`);
    while (this.bytes < this.p.size || this.queue.length) {
      this.tick();
      if (this.queue.length && this.queue[0].at <= this.lineNo) {
        this.queue.shift()!.fn();
        continue;
      }
      if (nextEpisode < this.episodeAt.length && this.bytes >= this.episodeAt[nextEpisode]) {
        nextEpisode++;
        this.startEpisode();
      }
      if (this.p.nearMissRate > 0 && r.float() < this.p.nearMissRate) { this.nearMiss(); continue; }
      const x = r.int(1000);
      if (x < 450) this.kubelite();
      else if (x < 700) this.containerd();
      else if (x < 997) this.calico();
      else this.kernel();
    }
    if (nextEpisode < this.episodeAt.length) throw new Error('episodes left unplaced (size too small for the episode count)');
    this.finish();
    return this.stats;
  }

  private finish(): void {
    const s = this.stats;
    s.bytes = this.bytes;
    s.lines = this.lineNo;
    s.lastTime = new Date(Math.floor(this.t / 1000)).toISOString();
    let total = 0;
    let sum = 0;
    for (let i = 0; i < this.hist.length; i++) { total += this.hist[i]; sum += i * this.hist[i]; }
    const q = (f: number): number => {
      let acc = 0;
      for (let i = 0; i < this.hist.length; i++) { acc += this.hist[i]; if (acc >= f * total) return i; }
      return 0;
    };
    s.lineLength = { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.lineLength.max, mean: Math.round((sum / total) * 10) / 10 };
  }

  /** Time of the last line (ms), for bundle names. */
  get endTime(): number {
    return Math.floor(this.t / 1000);
  }
}

// ---------------------------------------------------------------------------------------------------
// Sinks

/** Buffered writer of ASCII text: lines are copied straight into a large Buffer (no string joins),
 *  handed to `out` in big chunks. */
export class ChunkWriter {
  private buf: Buffer;
  private off = 0;
  written = 0;
  constructor(private out: (b: Buffer) => void, chunk = 8 << 20) {
    this.buf = Buffer.allocUnsafe(chunk);
  }
  static toFile(file: string): ChunkWriter & { close(): void } {
    const fd = openSync(file, 'w');
    const w = new ChunkWriter((b) => {
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    }) as ChunkWriter & { close(): void };
    w.close = () => { w.flush(); closeSync(fd); };
    return w;
  }
  /** write `a` + `b` + newline; returns the bytes written */
  line(a: string, b: string): number {
    const n = a.length + b.length + 1;
    if (this.off + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
    const buf = this.buf;
    this.off += buf.write(a, this.off, 'latin1');
    this.off += buf.write(b, this.off, 'latin1');
    buf[this.off++] = 10;
    return n;
  }
  write(s: string): void {
    this.line(s.endsWith('\n') ? s.slice(0, -1) : s, '');
  }
  flush(): void {
    if (!this.off) return;
    this.out(this.buf.subarray(0, this.off));
    this.written += this.off;
    this.off = 0;
  }
}

/** One journal file (plain-log bench, sosreport's journalctl output, the test). */
export function journalSink(w: ChunkWriter): Sink {
  return { line: (_cls, prefix, msg) => w.line(prefix, msg) };
}

/** In-memory journal (tests). */
export function generateBuffer(params: Partial<GenParams> = {}): { data: Buffer; stats: GenStats; expect: Expectations; params: GenParams } {
  const p = { ...DEFAULT_PARAMS, ...params };
  const parts: Buffer[] = [];
  const w = new ChunkWriter((b) => parts.push(Buffer.from(b)));
  const g = new LogGenerator(p, journalSink(w));
  const stats = g.run();
  w.flush();
  return { data: Buffer.concat(parts), stats, expect: g.expect, params: p };
}

// ---------------------------------------------------------------------------------------------------
// Files and bundles (cached)

function paramsKey(kind: string, p: GenParams): string {
  return JSON.stringify({ kind, ...p, gen: GEN_SOURCE_HASH });
}

function readSidecar(file: string): Sidecar | undefined {
  try {
    return JSON.parse(readFileSync(`${file}.expect.json`, 'utf8')) as Sidecar;
  } catch {
    return undefined;
  }
}

function cached(file: string, kind: Sidecar['kind'], p: GenParams): Sidecar | undefined {
  const sc = readSidecar(file);
  if (!sc || !existsSync(file)) return undefined;
  if (paramsKey(sc.kind, sc.params) !== paramsKey(kind, p) || sc.generatorHash !== GEN_SOURCE_HASH) return undefined;
  if (statSync(file).size !== sc.fileBytes) return undefined;
  return sc;
}

export function sizeLabel(n: number): string {
  if (n % (1 << 30) === 0) return `${n / (1 << 30)}G`;
  if (n % (1 << 20) === 0) return `${n / (1 << 20)}M`;
  return String(n);
}

export function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG])?i?B?$/i.exec(v.trim());
  if (!m) throw new Error(`not a size: ${v} (e.g. 256M, 1G)`);
  const mult = { K: 1 << 10, M: 1 << 20, G: 1 << 30 }[(m[2] ?? '').toUpperCase() as 'K'] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

function writeSidecar(file: string, sc: Sidecar): void {
  writeFileSync(`${file}.expect.json`, JSON.stringify(sc, null, 2) + '\n');
}

function log(msg: string): void {
  process.stderr.write(`generate: ${msg}\n`);
}

/** The plain journal-style log for the scan bench. */
export function ensurePlain(params: Partial<GenParams> = {}, opts: { force?: boolean } = {}): Sidecar {
  const p = { ...DEFAULT_PARAMS, ...params };
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `node-journal-${sizeLabel(p.size)}-s${p.seed}.log`);
  const hit = !opts.force && cached(file, 'plain', p);
  if (hit) return hit;
  log(`writing ${path.relative(process.cwd(), file)} …`);
  const t0 = process.hrtime.bigint();
  const w = ChunkWriter.toFile(file);
  const g = new LogGenerator(p, journalSink(w));
  const stats = g.run();
  w.close();
  const sc: Sidecar = {
    generator: 'bench/generate.ts', generatorHash: GEN_SOURCE_HASH, kind: 'plain', file, params: p,
    fileBytes: statSync(file).size, stats, expect: g.expect, generatedSeconds: secondsSince(t0),
  };
  writeSidecar(file, sc);
  log(`${sizeLabel(p.size)} plain log: ${stats.lines} lines in ${sc.generatedSeconds.toFixed(1)} s`);
  return sc;
}

function secondsSince(t0: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - t0) / 1e7) / 100;
}

function stamp(ms: number, sep: string): string {
  const d = new Date(ms);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${sep}${p2(d.getUTCMonth() + 1)}${sep}${p2(d.getUTCDate())}`;
}

function tarCompress(stageDir: string, top: string, out: string, compressor: string[]): number {
  const t0 = process.hrtime.bigint();
  const tmp = `${out}.tmp`;
  const r = spawnSync('bash', ['-c', 'set -euo pipefail; tar -C "$1" -cf - "$2" | "${@:4}" > "$3"', 'bash', stageDir, top, tmp, ...compressor], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`tar | ${compressor.join(' ')} failed (${r.status})`);
  spawnSync('mv', [tmp, out]);
  return secondsSince(t0);
}

/** `tar -tvf`-free way to learn the decompressed tar size: the decompressor counts it. */
function tarBytes(file: string, dec: string[]): number {
  const r = spawnSync('bash', ['-c', 'set -o pipefail; "${@:2}" "$1" | wc -c', 'bash', file, ...dec], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/** A `microk8s inspect` style .tar.gz: per-service journal.log, cluster-info-dump with calico-node's log, args. */
export function ensureInspect(params: Partial<GenParams> = {}, opts: { force?: boolean } = {}): Sidecar {
  const p = { ...DEFAULT_PARAMS, ...params };
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `inspection-report-${sizeLabel(p.size)}-s${p.seed}.tar.gz`);
  const hit = !opts.force && cached(file, 'inspect-tar.gz', p);
  if (hit) return hit;
  const stage = path.join(OUT_DIR, 'stage-inspect');
  rmSync(stage, { recursive: true, force: true });
  const tmpTop = path.join(stage, 'top');
  const dirs = ['snap.microk8s.daemon-kubelite', 'snap.microk8s.daemon-containerd', 'k8s', 'args/cni-network', 'sys'];
  for (const d of dirs) mkdirSync(path.join(tmpTop, d), { recursive: true });
  log(`writing inspect bundle ${path.relative(process.cwd(), file)} …`);
  const t0 = process.hrtime.bigint();
  const kub = ChunkWriter.toFile(path.join(tmpTop, 'snap.microk8s.daemon-kubelite/journal.log'));
  const ctd = ChunkWriter.toFile(path.join(tmpTop, 'snap.microk8s.daemon-containerd/journal.log'));
  const dump = ChunkWriter.toFile(path.join(tmpTop, 'k8s/cluster-info-dump'));
  dump.write(`{\n    "kind": "NodeList",\n    "apiVersion": "v1",\n    "metadata": {\n        "resourceVersion": "981231"\n    },\n    "items": [\n        {\n            "metadata": {\n                "name": "${HOST}"\n            },\n            "status": {\n                "nodeInfo": {\n                    "kernelVersion": "6.8.0-57-generic",\n                    "osImage": "Ubuntu 24.04.2 LTS",\n                    "containerRuntimeVersion": "containerd://1.7.27",\n                    "kubeletVersion": "v1.32.3",\n                    "kubeProxyVersion": "v1.32.3"\n                }\n            }\n        }\n    ]\n}\n`);
  dump.write('==== START logs for container calico-node of pod kube-system/calico-node-x7k2p ====\n');
  const sink: Sink = {
    line(cls, prefix, msg) {
      if (cls === 'kernel') return 0; // kernel facts come from the node object in cluster-info-dump
      if (cls === 'calico') return dump.line('', msg);
      return (cls === 'containerd' ? ctd : kub).line(prefix, msg);
    },
  };
  const g = new LogGenerator(p, sink);
  const stats = g.run();
  dump.write('==== END logs for container calico-node of pod kube-system/calico-node-x7k2p ====\n');
  kub.close(); ctd.close(); dump.close();
  writeFileSync(path.join(tmpTop, 'args/cni-network/cni.yaml'), '            # Enable or disable IPv6 on Kubernetes\n            - name: FELIX_IPV6SUPPORT\n              value: "true"\n');
  writeFileSync(path.join(tmpTop, 'args/cni-env'), 'IPv4_SUPPORT=true\nIPv4_CLUSTER_CIDR=10.1.0.0/16\nIPv6_SUPPORT=true\nIPv6_CLUSTER_CIDR=fd02::/64\n');
  writeFileSync(path.join(tmpTop, 'sys/snap-list'), 'Name      Version  Rev    Tracking       Publisher   Notes\ncore20    20250213 2501   latest/stable  canonical✓  base\nmicrok8s  v1.32.3   7964   1.32/stable    canonical✓  classic\nsnapd     2.67.1   23771  latest/stable  canonical✓  snapd\n');
  // `microk8s inspect` tars its report as inspection-report/… (the timestamp is only in the file name).
  const top = 'inspection-report';
  spawnSync('mv', [tmpTop, path.join(stage, top)]);
  const genS = secondsSince(t0);
  const compressSeconds = tarCompress(stage, top, file, ['gzip', '-6']);
  rmSync(stage, { recursive: true, force: true });
  const sc: Sidecar = {
    generator: 'bench/generate.ts', generatorHash: GEN_SOURCE_HASH, kind: 'inspect-tar.gz', file, params: p,
    fileBytes: statSync(file).size, tarBytes: tarBytes(file, ['gzip', '-dc']), stats, expect: g.expect,
    generatedSeconds: genS, compressSeconds,
  };
  sc.expect.facts = { 'kernel.release': '6.8.0-57-generic', 'ipv6.enabled': 'true' };
  writeSidecar(file, sc);
  log(`inspect bundle: ${(sc.fileBytes / 1e6).toFixed(1)} MB gz of ${(sc.tarBytes! / 1e6).toFixed(1)} MB tar (generate ${genS} s, tar|gzip -6 ${compressSeconds} s)`);
  return sc;
}

/** A sosreport style .tar.xz: the whole journal as sos_commands/logs/journalctl_--no-pager plus fact files. */
export function ensureSosreport(params: Partial<GenParams> = {}, opts: { force?: boolean } = {}): Sidecar {
  const p = { ...DEFAULT_PARAMS, ...params };
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `sosreport-${sizeLabel(p.size)}-s${p.seed}.tar.xz`);
  const hit = !opts.force && cached(file, 'sosreport-tar.xz', p);
  if (hit) return hit;
  const stage = path.join(OUT_DIR, 'stage-sos');
  rmSync(stage, { recursive: true, force: true });
  const tmpTop = path.join(stage, 'top');
  for (const d of ['sos_commands/logs', 'sos_commands/kernel', 'sos_commands/microk8s', 'sos_commands/snap', 'sos_reports', 'etc', 'var/snap/microk8s/current/args']) mkdirSync(path.join(tmpTop, d), { recursive: true });
  log(`writing sosreport bundle ${path.relative(process.cwd(), file)} …`);
  const t0 = process.hrtime.bigint();
  const w = ChunkWriter.toFile(path.join(tmpTop, 'sos_commands/logs/journalctl_--no-pager'));
  const g = new LogGenerator(p, journalSink(w));
  const stats = g.run();
  w.close();
  writeFileSync(path.join(tmpTop, 'sos_commands/kernel/uname_-a'), `Linux ${HOST} 6.8.0-57-generic #59-Ubuntu SMP PREEMPT_DYNAMIC Sat Mar 15 17:40:59 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux\n`);
  writeFileSync(path.join(tmpTop, 'sos_commands/microk8s/microk8s_version'), 'MicroK8s v1.32.3 revision 7964\n');
  writeFileSync(path.join(tmpTop, 'sos_commands/snap/snap_list_--all'), 'Name      Version  Rev    Tracking       Publisher   Notes\nmicrok8s  v1.32.3   7964   1.32/stable    canonical✓  classic\n');
  writeFileSync(path.join(tmpTop, 'version.txt'), 'sosreport: 4.8.2\n');
  writeFileSync(path.join(tmpTop, 'sos_reports/manifest.json'), '{"version": "4.8.2", "cmdline": "sos report --batch -k kubernetes.podlogs=on", "components": {"report": {"plugins": {"microk8s": {}, "logs": {}, "kernel": {}}}}}\n');
  // sos's microk8s plugin copies the snap's args/ (patterns/layouts/sosreport.yaml): dual-stack on.
  writeFileSync(path.join(tmpTop, 'var/snap/microk8s/current/args/cni-env'), 'IPv6_SUPPORT=true\n');
  writeFileSync(path.join(tmpTop, 'etc/lsb-release'), 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\nDISTRIB_CODENAME=noble\nDISTRIB_DESCRIPTION="Ubuntu 24.04.2 LTS"\n');
  const top = `sosreport-${HOST}-${stamp(g.endTime, '-')}-qwzrxtk`;
  spawnSync('mv', [tmpTop, path.join(stage, top)]);
  const genS = secondsSince(t0);
  // As sos writes it: Python's lzma at preset 3, one stream of one block (no multi-threaded decoding).
  const compressSeconds = tarCompress(stage, top, file, ['xz', '-T1', '-3']);
  rmSync(stage, { recursive: true, force: true });
  const sc: Sidecar = {
    generator: 'bench/generate.ts', generatorHash: GEN_SOURCE_HASH, kind: 'sosreport-tar.xz', file, params: p,
    fileBytes: statSync(file).size, tarBytes: tarBytes(file, ['xz', '-dc']), stats, expect: g.expect,
    generatedSeconds: genS, compressSeconds,
  };
  writeSidecar(file, sc);
  log(`sosreport bundle: ${(sc.fileBytes / 1e6).toFixed(1)} MB xz of ${(sc.tarBytes! / 1e6).toFixed(1)} MB tar (generate ${genS} s, tar|xz -T1 -3 ${compressSeconds} s)`);
  return sc;
}

// ---------------------------------------------------------------------------------------------------
// CLI

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const base: Partial<GenParams> = {};
  if (argValue(args, '--seed')) base.seed = Number(argValue(args, '--seed'));
  if (argValue(args, '--episodes')) base.episodes = Number(argValue(args, '--episodes'));
  const force = args.includes('--force');
  const sizes = (argValue(args, '--size') ?? '256M').split(',').map(parseSize);
  for (const size of sizes) {
    const sc = ensurePlain({ ...base, size }, { force });
    process.stdout.write(`${sc.file}\n  ${sc.stats.lines} lines, ${sc.fileBytes} bytes, line length p50 ${sc.stats.lineLength.p50} p90 ${sc.stats.lineLength.p90} max ${sc.stats.lineLength.max}; mix ${JSON.stringify(sc.stats.mix)}\n  expect ${JSON.stringify(sc.expect.diagnoses)} (${sc.stats.injectedRecords} injected records, ${Object.values(sc.stats.nearMisses).reduce((a, b) => a + b, 0)} near-misses)\n`);
  }
  if (args.includes('--bundles')) {
    const bsize = parseSize(argValue(args, '--bundle-size') ?? '256M');
    for (const sc of [ensureInspect({ ...base, size: bsize }, { force }), ensureSosreport({ ...base, size: bsize }, { force })]) {
      process.stdout.write(`${sc.file}\n  ${sc.fileBytes} bytes compressed, ${sc.tarBytes} tar bytes; expect ${JSON.stringify(sc.expect.diagnoses)}\n`);
    }
  }
}

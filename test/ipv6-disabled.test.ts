// End-to-end: what a kernel booted with ipv6.disable=1, an IPv4-only calico-node and the vopono
// MARK pair are diagnosed as, from inputs built here (plain files, a directory, a real sosreport tar).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from './helpers/util.js';

interface Report {
  facts: Record<string, { value: string; source: string }>;
  diagnoses: { id: string; confidence: number; rootCause: string; remediation: string[]; evidence: { source: string; text: string }[]; factors: { because: string; add: number }[] }[];
}

async function analyze(...inputs: string[]): Promise<Report> {
  const r = await runCli(['analyze', ...inputs, '--json']);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}
const ids = (rep: Report): string[] => rep.diagnoses.map((d) => d.id);

function write(file: string, lines: string[]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

// felix (legacy backend) restoring the IPv6 filter table on a kernel without IPv6: create_handle's
// message, which gives no reason, then felix's panic after its retries
const restoreFail = (ms: number, table = 'filter'): string =>
  `2025-05-26 18:07:03.${String(ms).padStart(3, '0')} [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.9 (legacy): ip6tables-restore: unable to initialize table '${table}'\\n\\nError occurred at line: 1\\nTry \`ip6tables-restore -h' or 'ip6tables-restore --help' for more information.\\n" input="*${table}\\nCOMMIT\\n" ipVersion=0x6 output="" table="${table}"`;
const FELIX_V6_RESTORE = [
  '2025-05-26 18:06:58.200 [INFO][83] felix/feature_detect_linux.go 414: Looked up iptables command backendMode="legacy" candidates=[]string{"ip6tables-legacy-restore", "ip6tables-restore"} command="ip6tables-legacy-restore" ipVersion=0x6 saveOrRestore="restore"',
  restoreFail(220), restoreFail(230), restoreFail(240),
  '2025-05-26 18:07:03.250 [PANIC][83] felix/table.go 1184: Failed to program iptables, giving up after retries error=exit status 2 ipVersion=0x6 table="filter"',
];
const CMDLINE_KERN = 'May 26 17:52:10 node1 kernel: [    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.8.0-55-generic root=/dev/sda1 ro ipv6.disable=1';
const ADMIN_DISABLED = 'May 26 17:52:11 node1 kernel: [    1.234567] IPv6: Loaded, but administratively disabled, reboot required to enable';

test('ipv6.disable=1 on the kernel command line (kern.log) + felix ip6tables-restore failing: calico-ipv6-unavailable, not a missing module', async (t) => {
  const d = tempDir(t);
  const rep = await analyze(write(path.join(d, 'kern.log'), [CMDLINE_KERN]), write(path.join(d, 'calico-node.log'), FELIX_V6_RESTORE));
  assert.match(rep.facts['kernel.cmdline']?.value ?? '', / ipv6\.disable=1$/);
  assert.ok(ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
  assert.ok(!ids(rep).includes('kernel-module-missing'), ids(rep).join());
  const dx = rep.diagnoses.find((x) => x.id === 'calico-ipv6-unavailable')!;
  assert.match(dx.rootCause, /ipv6\.disable=1/);
  assert.ok(dx.remediation.some((r) => r.includes('FELIX_IPV6SUPPORT')), 'fix: FELIX_IPV6SUPPORT=false');
  assert.ok(dx.remediation.some((r) => r.includes('ipv6.disable=1')), 'fix: remove ipv6.disable=1');
  assert.ok(dx.evidence.some((e) => e.text.includes('unable to initialize table')));
  assert.ok(dx.factors.some((f) => /ipv6\.disable=1/.test(f.because)));
});

test('an earlier boot\'s ipv6.disable=1 does not stick: the latest boot\'s command line decides', async (t) => {
  const d = tempDir(t);
  const earlier = CMDLINE_KERN.replace('May 26 17:52:10', 'May 20 09:00:00');
  const latest = 'May 26 17:52:10 node1 kernel: [    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.8.0-55-generic root=/dev/sda1 ro';
  const rep = await analyze(write(path.join(d, 'kern.log'), [earlier, ADMIN_DISABLED.replace('May 26 17:52:11', 'May 20 09:00:01'), latest]), write(path.join(d, 'calico-node.log'), FELIX_V6_RESTORE));
  assert.equal(rep.facts['kernel.cmdline']?.value, 'BOOT_IMAGE=/boot/vmlinuz-6.8.0-55-generic root=/dev/sda1 ro');
  assert.ok(ids(rep).includes('kernel-module-missing'), ids(rep).join());
  assert.ok(!ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
  // and the other way round: disabled on the latest boot
  const rep2 = await analyze(write(path.join(d, 'kern2.log'), [latest.replace('May 26 17:52:10', 'May 20 09:00:00'), CMDLINE_KERN]), write(path.join(d, 'calico-node2.log'), FELIX_V6_RESTORE));
  assert.ok(ids(rep2).includes('calico-ipv6-unavailable'), ids(rep2).join());
});

test('another program\'s "Command line:" (ntpd at start) is not the kernel\'s command line', async (t) => {
  const d = tempDir(t);
  const ntpd = 'May 26 17:52:25 node1 ntpd[812]: Command line: ntpd -p /var/run/ntpd.pid -g -u 111:116';
  const rep = await analyze(write(path.join(d, 'syslog'), [CMDLINE_KERN, ntpd]), write(path.join(d, 'calico-node.log'), FELIX_V6_RESTORE));
  assert.match(rep.facts['kernel.cmdline']?.value ?? '', /ipv6\.disable=1$/);
  assert.ok(ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
});

test('the kernel\'s "administratively disabled" line alone is enough evidence too', async (t) => {
  const d = tempDir(t);
  const rep = await analyze(write(path.join(d, 'kern.log'), [ADMIN_DISABLED]), write(path.join(d, 'calico-node.log'), FELIX_V6_RESTORE));
  assert.deepEqual(ids(rep).filter((x) => x.startsWith('calico-ipv6') || x === 'kernel-module-missing'), ['calico-ipv6-unavailable']);
});

test('the same felix failures without any sign of ipv6.disable=1 stay a missing ip6table module', async (t) => {
  const d = tempDir(t);
  const rep = await analyze(write(path.join(d, 'calico-node.log'), FELIX_V6_RESTORE));
  assert.equal(rep.facts['ipv6.kernel'], undefined);
  assert.ok(ids(rep).includes('kernel-module-missing'), ids(rep).join());
  assert.ok(!ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
});

function sosreport(t: { after: (fn: () => void) => void }, extra: Record<string, string[]>): string {
  const d = tempDir(t);
  const top = 'sosreport-node1-2025-05-26-abcdefg';
  const root = path.join(d, top);
  write(path.join(root, 'version.txt'), ['sosreport: 4.8.2']);
  write(path.join(root, 'sos_commands/kernel/uname_-a'), ['Linux node1 6.8.0-55-generic #57-Ubuntu SMP PREEMPT_DYNAMIC Wed Feb 12 23:42:21 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux']);
  write(path.join(root, 'var/snap/microk8s/current/args/cni-env'), ['IPv4_SUPPORT=true', 'IPv6_SUPPORT=true']);
  write(path.join(root, 'sos_commands/kubernetes/cluster-info/kube-system/podlogs/calico-node-x7k2p/microk8s_kubectl_--namespace_kube-system_logs_calico-node-x7k2p_-c_calico-node'), FELIX_V6_RESTORE);
  for (const [f, lines] of Object.entries(extra)) write(path.join(root, f), lines);
  const tar = path.join(d, `${top}.tar.gz`);
  execFileSync('tar', ['-czf', tar, '-C', d, top]);
  return tar;
}

test('a sosreport whose proc/cmdline has ipv6.disable=1: calico-ipv6-unavailable, with proc/cmdline as the evidence', async (t) => {
  const rep = await analyze(sosreport(t, { 'proc/cmdline': ['BOOT_IMAGE=/vmlinuz-6.8.0-55-generic root=/dev/mapper/ubuntu--vg-ubuntu--lv ro ipv6.disable=1'] }));
  assert.deepEqual(rep.facts['kernel.cmdline'], { value: 'BOOT_IMAGE=/vmlinuz-6.8.0-55-generic root=/dev/mapper/ubuntu--vg-ubuntu--lv ro ipv6.disable=1', source: 'proc/cmdline' });
  assert.ok(ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
  assert.ok(!ids(rep).includes('kernel-module-missing'), ids(rep).join());
  const dx = rep.diagnoses.find((x) => x.id === 'calico-ipv6-unavailable')!;
  assert.ok(dx.evidence.some((e) => e.source === 'proc/cmdline'), JSON.stringify(dx.evidence.map((e) => e.source)));
});

test('a command line with an iSCSI password: masked in the fact, the evidence and every report format, the diagnosis still raised', async (t) => {
  const tar = sosreport(t, { 'proc/cmdline': ['BOOT_IMAGE=/vmlinuz-6.8.0-55-generic root=/dev/sda1 netroot=iscsi:admin:s3cr3t@10.0.0.5::3260::iqn.2009-06.dracut:target0 rd.iscsi.password=hunter2 ro ipv6.disable=1'] });
  const rep = await analyze(tar);
  assert.equal(rep.facts['kernel.cmdline']?.value, 'BOOT_IMAGE=/vmlinuz-6.8.0-55-generic root=/dev/sda1 netroot=iscsi:admin:***@10.0.0.5::3260::iqn.2009-06.dracut:target0 rd.iscsi.password=*** ro ipv6.disable=1');
  assert.ok(ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
  for (const format of [['--json'], ['--format', 'text'], ['--format', 'markdown']]) {
    const r = await runCli(['analyze', tar, ...format]);
    assert.ok(r.code === 1, `exit ${r.code}: ${r.stderr}`);
    assert.ok(r.stdout.includes('ipv6.disable=1'), format.join(' '));
    for (const secret of ['s3cr3t', 'hunter2']) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${format.join(' ')} shows ${secret}`);
  }
});

test('a sosreport with only the sysctl net.ipv6.conf.all.disable_ipv6 = 1 is not ipv6.disable=1 (the tables still exist)', async (t) => {
  const rep = await analyze(sosreport(t, {
    'proc/cmdline': ['BOOT_IMAGE=/vmlinuz-6.8.0-55-generic root=/dev/mapper/ubuntu--vg-ubuntu--lv ro'],
    'sos_commands/kernel/sysctl_-a': ['net.ipv6.conf.all.disable_ipv6 = 1', 'net.ipv6.conf.default.disable_ipv6 = 1'],
  }));
  assert.equal(rep.facts['ipv6.kernel'], undefined);
  assert.ok(!ids(rep).includes('calico-ipv6-unavailable'), ids(rep).join());
});

test('a healthy IPv4-only calico-node (felix looking up its ip6tables binaries, kube-proxy "dual-stack") on an IPv6-less kernel: nothing wrong, IPv6 support not claimed', async (t) => {
  const d = tempDir(t);
  const felix = write(path.join(d, 'calico-node.log'), [
    '2025-05-26 18:06:53.070 [INFO][83] felix/feature_detect_linux.go 414: Looked up iptables command backendMode="legacy" candidates=[]string{"ip6tables-legacy-save", "ip6tables-save"} command="ip6tables-legacy-save" ipVersion=0x6 saveOrRestore="save"',
    '2025-05-26 18:06:53.072 [INFO][83] felix/feature_detect_linux.go 414: Looked up iptables command backendMode="nft" candidates=[]string{"ip6tables-nft-save", "ip6tables-save"} command="ip6tables-nft-save" ipVersion=0x6 saveOrRestore="save"',
    '2025-05-26 18:06:53.079 [INFO][83] felix/feature_detect_linux.go 414: Looked up iptables command backendMode="nft" candidates=[]string{"iptables-nft-restore", "iptables-restore"} command="iptables-nft-restore" ipVersion=0x4 saveOrRestore="restore"',
    '2025-05-26 18:06:53.081 [INFO][83] felix/feature_detect_linux.go 414: Looked up iptables command backendMode="nft" candidates=[]string{"ip6tables-nft-restore", "ip6tables-restore"} command="ip6tables-nft-restore" ipVersion=0x6 saveOrRestore="restore"',
    '2025-05-26 18:07:30.001 [INFO][83] felix/health.go 336: Overall health status changed: live=true ready=true',
  ]);
  const journal = write(path.join(d, 'journal.log'), [
    'May 26 17:53:01 node1 microk8s.daemon-kubelite[2187]: I0526 17:53:01.201000    2187 server_linux.go:169] "kube-proxy running in dual-stack mode" primary ipFamily="IPv4"',
  ]);
  const rep = await analyze(write(path.join(d, 'kern.log'), [ADMIN_DISABLED]), felix, journal);
  assert.equal(rep.facts['ipv6.enabled'], undefined, JSON.stringify(rep.facts));
  assert.deepEqual(ids(rep), []);
});

const VOPONO = [
  'Mar 26 10:00:10 cloudron vopono[811]: Warning: Extension MARK revision 0 not supported, missing kernel module?',
  'Mar 26 10:00:10 cloudron vopono[811]: ip6tables v1.8.10 (nf_tables):  RULE_APPEND failed (No such file or directory): rule in chain POSTROUTING',
  'Mar 26 10:00:20 cloudron vopono[811]: Warning: Extension MARK revision 0 not supported, missing kernel module?',
  'Mar 26 10:00:20 cloudron vopono[811]: ip6tables v1.8.10 (nf_tables):  RULE_APPEND failed (No such file or directory): rule in chain POSTROUTING',
];

test('vopono#297: a MARK warning then ip6tables RULE_APPEND failing is the headline, not a missing module — lower without a kernel fact', async (t) => {
  const d = tempDir(t);
  const journal = write(path.join(d, 'journal.log'), VOPONO);
  const alone = await analyze(journal);
  assert.deepEqual(ids(alone), ['kernel-ipv6-mark-regression']);
  assert.equal(alone.diagnoses[0].confidence, 0.5);
  const uname = write(path.join(d, 'uname_-a'), ['Linux cloudron 6.8.0-56-generic #58-Ubuntu SMP PREEMPT_DYNAMIC Fri Feb 14 15:33:28 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux']);
  const withKernel = await analyze(journal, uname);
  assert.deepEqual(ids(withKernel), ['kernel-ipv6-mark-regression']);
  assert.equal(withKernel.diagnoses[0].confidence, 0.8);
});

test('flavour kernels: only 6.8.0-1025-aws/-azure and 6.8.0-1023-oracle count as known affected', async (t) => {
  const d = tempDir(t);
  const felix = write(path.join(d, 'calico-node.log'), [
    '2025-05-26 18:07:12.345 [WARNING][83] felix/table.go 1454: Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput="ip6tables-restore v1.8.4 (legacy): unknown option \\"--set-mark\\"\\nError occurred at line: 7\\n" input="*mangle\\nCOMMIT\\n" ipVersion=0x6 output="" table="mangle"',
  ]);
  const conf = async (release: string): Promise<number> => {
    const u = write(path.join(d, release, 'uname_-a'), [`Linux node1 ${release} #27-Ubuntu SMP Tue Feb 25 12:00:00 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux`]);
    const rep = await analyze(felix, u);
    assert.equal(rep.diagnoses[0]?.id, 'kernel-ipv6-mark-regression');
    return rep.diagnoses[0].confidence;
  };
  // base 0.6 + 0.05 for ipVersion=0x6; +0.2 on the list, -0.15 off it
  assert.equal(await conf('6.8.0-1025-aws'), 0.85);
  assert.equal(await conf('6.8.0-1025-azure'), 0.85);
  assert.equal(await conf('6.8.0-1023-oracle'), 0.85);
  assert.equal(await conf('6.8.0-1023-aws'), 0.5);
  assert.equal(await conf('6.8.0-1025-gcp'), 0.5);
});

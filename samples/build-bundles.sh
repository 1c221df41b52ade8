#!/usr/bin/env bash
# Builds the sample support bundles under samples/bundles/ from content this script writes itself,
# with real tar/gzip/xz, deterministically (fixed mtimes, sorted names, numeric owner 0, gzip -n,
# single-threaded xz): running it twice gives the same bytes.
#
#   inspection-report-20250526_182512.tar.gz     node1, the incident (microk8s inspect, classic layout)
#   inspection-report-20250601_101500.tar.gz     node2, healthy dual-stack node (same layout)
#   sosreport-node1-2025-05-26-abcdefg.tar.xz    node1, the incident as a sos 4.x report
#   sosreport-node2-2025-06-01-hijklmn.tar.gz    node2, healthy, as a sos report (gzip, as sos does
#                                                without python lzma)
#
# The incident: Ubuntu 24.04, MicroK8s v1.32.3 (Calico v3.29.3, VXLAN), dual-stack. Kernel
# 6.8.0-57-generic installed 17:41, microk8s stopped 17:50, reboot 17:52, microk8s started 18:06;
# from 18:07 felix fails on ip6tables-restore `unknown option "--set-mark"` (ipVersion=0x6) and
# panics, calico-node crash-loops, kube-proxy fails on `--xor-mark`. All times UTC.
#
# Usage: samples/build-bundles.sh            (writes only samples/bundles/ and a temp dir it removes)
# The plain logs in samples/logs/ come from the same generators:
#   bash -c '. samples/build-bundles.sh && write_sample_logs samples/logs'
#
# Needs: bash >= 4.3, GNU tar (--sort), gzip, xz (xz-utils), coreutils. Nothing is downloaded.

export LC_ALL=C
export TZ=UTC

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ---------------------------------------------------------------------------------------------
# Deterministic helpers. Every generator writes "KEY<TAB>LINE" where KEY is the epoch time in ms
# (13 digits); streams are merged with a stable sort on KEY and the keys cut off at the end.
# ---------------------------------------------------------------------------------------------

RNG=20250526
seed() { RNG=$1; }
# rnd N -> REPLY in [0, N)
rnd() { RNG=$(( (RNG * 1103515245 + 12345) % 2147483648 )); REPLY=$(( (RNG >> 8) % $1 )); }
# rhex N -> REPLY: N lowercase hex digits
rhex() {
  local n=$1 out='' d=0123456789abcdef
  while (( ${#out} < n )); do rnd 16; out+=${d:REPLY:1}; done
  REPLY=$out
}
# ruuid -> REPLY (random v4 UUID)
ruuid() {
  local a b c d e v=(8 9 a b)
  rhex 8; a=$REPLY; rhex 4; b=$REPLY; rhex 3; c=$REPLY; rhex 3; d=$REPLY; rhex 12; e=$REPLY
  rnd 4
  REPLY="$a-$b-4$c-${v[REPLY]}$d-$e"
}

# Epoch seconds of a UTC date at 00:00 (one `date` call per day used).
day_epoch() { date -u -d "$1 00:00:00" +%s; }
# at HH:MM:SS[.mmm] -> REPLY (ms) on day $DAY0 (epoch seconds)
at() {
  local hms=${1%.*} f=000
  [[ $1 == *.* ]] && f=${1##*.}
  local h=${hms%%:*} rest=${hms#*:}
  local m=${rest%%:*} s=${rest#*:}
  REPLY=$(( (DAY0 + 10#$h * 3600 + 10#$m * 60 + 10#$s) * 1000 + 10#$f ))
}

# Formatting (REPLY). Times are UTC, as the nodes run in UTC.
f_felix() { printf -v REPLY '%(%Y-%m-%d %H:%M:%S)T.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }
f_journal() { printf -v REPLY '%(%b %d %H:%M:%S)T' $(( $1 / 1000 )); }
KL_MS=-1; KL_US=0
# klog stamp with microseconds, increasing within one millisecond
f_klog() {
  if (( $1 == KL_MS )); then rnd 40; KL_US=$(( KL_US + 1 + REPLY )); (( KL_US > 999 )) && KL_US=999
  else rnd 700; KL_US=$REPLY; KL_MS=$1; fi
  printf -v REPLY '%(%m%d %H:%M:%S)T.%03d%03d' $(( $1 / 1000 )) $(( $1 % 1000 )) "$KL_US"
}
f_dpkg() { printf -v REPLY '%(%Y-%m-%d %H:%M:%S)T' $(( $1 / 1000 )); }
# RFC3339Nano as Go prints it: trailing zeros of the fraction trimmed, Z for UTC.
NS_MS=-1; NS_SUB=0
f_nano() {
  local ns
  if (( $1 == NS_MS )); then rnd 90000; NS_SUB=$(( NS_SUB + 2000 + REPLY )); (( NS_SUB > 999999 )) && NS_SUB=999999
  else rnd 600000; NS_SUB=$REPLY; NS_MS=$1; fi
  printf -v ns '%03d%06d' $(( $1 % 1000 )) "$NS_SUB"
  while [[ $ns == *0 ]]; do ns=${ns%0}; done
  printf -v REPLY '%(%Y-%m-%dT%H:%M:%S)T%sZ' $(( $1 / 1000 )) "${ns:+.$ns}"
}

# Go strconv.Quote for the ASCII we generate: backslash, quote, newline, tab.
goq() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}
  REPLY="\"$s\""
}

# emit KEY LINE
emit() { printf '%013d\t%s\n' "$1" "$2"; }

# Stream clock: T is the current time (ms) of the generator that is running.
T=0
adv() { rnd $(( $2 - $1 + 1 )); T=$(( T + $1 + REPLY )); }

# Merge keyed streams (stable, by time) and drop the keys.
merge() { sort -s -t$'\t' -k1,1n | cut -f2-; }
unkey() { cut -f2-; }

# Journal `short` lines: jl IDENT PID MSG (at time T).
jl() { f_journal "$T"; emit "$T" "$REPLY $NODE $1${2:+[$2]}: $3"; }
# boot separator as journalctl prints it between boots
jboot() { emit "$T" "-- Boot $1 --"; }

# ---------------------------------------------------------------------------------------------
# Node profiles
# ---------------------------------------------------------------------------------------------

profile_common() {
  IFACE=enp1s0
  MK8S_VER=v1.32.3; MK8S_REV=7964; MK8S_OLDREV=7879; MK8S_OLDVER=v1.32.2
  CALICO=v3.29.3
  CONTAINERD_VER=v1.7.27
  FELIX_IPT=1.8.9           # iptables inside the calico/node image
  SNAP_IPT=1.8.7            # iptables shipped in the microk8s snap (kube-proxy)
  POD_CIDR4=10.1.0.0/16; POD_CIDR6=fd01::/64
  SVC_CIDR4=10.152.183.0/24; SVC_CIDR6=fd98::/108
  DNS_SVC=10.152.183.10
}

profile_incident() {
  profile_common
  DAY=2025-05-26; DAY0=$(day_epoch "$DAY")
  NODE=node1
  IP4=10.20.30.41; IP6=fd42:9c1e:77a0:30::41; GW4=10.20.30.1; GW6=fd42:9c1e:77a0:30::1
  MAC=52:54:00:8e:31:4c
  KREL=6.8.0-57-generic; KSHORT=6.8.0-57; KPKG=6.8.0-57.59; KNUM='#59-Ubuntu'
  KBUILT='Sat Mar 15 17:40:59 UTC 2025'
  KPREV=6.8.0-55-generic; KPREVPKG=6.8.0-55.57
  BOOT_PREV=3b8e0c7d9a4f4e21b6d2c85f1e07a9c4; BOOT_ID=7f3c9e2a41d84b0c9f6e5a2d1b8c7e40
  MACHINE_ID=4c1b7e0f2d8a4a6c9e3f51d0b7a2c8e6
  SYS_UUID=8d6f2c1e-4b7a-4e9d-a3c5-0f1e2d3c4b5a
  KPID=2187; KPID_OLD=1342; CPID=2098; DQPID=2101; CAPID=2099; AKPID=2100
  CN_POD=calico-node-x7k2p; CN_UID=b6f0e2a4-93c1-4d57-8e2f-1a7c9d3b05e8
  KC_POD=calico-kube-controllers-759cd8b574-8f4zq; KC_UID=2a9d41c7-e05b-4f3a-9c6e-7d18b2f4a630
  DNS_POD=coredns-7896dbf49-4m9qz; DNS_UID=e8c5137f-2b64-4a0d-b9f1-56a3d0c7e241
  CN_TUN4=10.1.166.128; CN_TUN6=fd01::aa5b:c6b1:1f0b:8e00
  KC_IP4=10.1.166.131; KC_IP6=fd01::aa5b:c6b1:1f0b:8e03; DNS_IP4=10.1.166.130; DNS_IP6=fd01::aa5b:c6b1:1f0b:8e02
  KC_IF=cali3c1f4e8a2d9; DNS_IF=cali9b7e0d2c6f1
  NODE_UID=5e2a7c14-8f3b-4d69-a0e1-c7b4f9d2e368
  NODE_CREATED=2025-02-17T09:12:44Z
  CN_CREATED=2025-05-26T17:38:05Z
  MEM_TOTAL=7941; CPUS=4
}

profile_healthy() {
  profile_common
  DAY=2025-06-01; DAY0=$(day_epoch "$DAY")
  NODE=node2
  IP4=10.20.30.42; IP6=fd42:9c1e:77a0:30::42; GW4=10.20.30.1; GW6=fd42:9c1e:77a0:30::1
  MAC=52:54:00:3d:a7:91
  KREL=6.8.0-55-generic; KSHORT=6.8.0-55; KPKG=6.8.0-55.57; KNUM='#57-Ubuntu'
  KBUILT='Wed Feb 12 23:42:21 UTC 2025'
  KPREV=6.8.0-53-generic; KPREVPKG=6.8.0-53.55
  BOOT_PREV=91d2e4c6a8b04f1e8c3d7a5b2e9f0c16; BOOT_ID=c05a8e3f7b1d4c92a6e4f0d8b3c1a7e5
  MACHINE_ID=a7e3c91d5f2b48e0b6c4d2a8f1e9c035
  SYS_UUID=2f7c9a4e-1d3b-4c8a-9e6f-5b0a7d2c3e14
  KPID=1877; KPID_OLD=0; CPID=1803; DQPID=1806; CAPID=1804; AKPID=1805
  CN_POD=calico-node-r4m8t; CN_UID=71c3e9a5-d28f-4b06-a4e7-3f9c1b5d8e20
  KC_POD=calico-kube-controllers-759cd8b574-w2hxn; KC_UID=c4e8a1f3-6b29-4d7e-8a05-e92d7c3b1f64
  DNS_POD=coredns-7896dbf49-qk6xv; DNS_UID=0d9b6e2f-a4c8-4371-b5e9-c81f3a7d2b50
  CN_TUN4=10.1.104.0; CN_TUN6=fd01::5d2e:91a4:7c3b:6800
  KC_IP4=10.1.104.3; KC_IP6=fd01::5d2e:91a4:7c3b:6803; DNS_IP4=10.1.104.2; DNS_IP6=fd01::5d2e:91a4:7c3b:6802
  KC_IF=cali5e0a9c3d7b2; DNS_IF=cali0f8d2b6e4a1
  NODE_UID=9b4d2e71-c3a8-4f5e-8d16-2e7a0c9b4f83
  NODE_CREATED=2025-03-03T14:27:09Z
  CN_CREATED=2025-05-12T08:41:57Z
  MEM_TOTAL=7941; CPUS=4
}

profile_workloads() {
  # Two replicas of a user deployment in `default`, besides the kube-system pods.
  if [[ $NODE == node1 ]]; then
    WEB_RS=web-6b8f9d7c5; WEB_PODS=(web-6b8f9d7c5-2xkqp web-6b8f9d7c5-9tz4m)
    WEB_UIDS=(d31a7f5e-0c2b-4e86-9a4d-6f8e1b2c7a39 47be2c90-5d1f-4a73-8e6b-a2c9f0d4e518)
    WEB_IFS=(cali62d0b9e4f7a cali1a8c5f3e0d6); WEB_IP4=(10.1.166.132 10.1.166.133)
    WEB_IP6=(fd01::aa5b:c6b1:1f0b:8e04 fd01::aa5b:c6b1:1f0b:8e05)
  else
    WEB_RS=web-6b8f9d7c5; WEB_PODS=(web-6b8f9d7c5-hv7nd web-6b8f9d7c5-p4wz8)
    WEB_UIDS=(8c2e5a1d-7f4b-4930-b6e8-d0a3c9f51e72 f5d09b3e-2a7c-4e18-9d6f-31b8e4c0a7d9)
    WEB_IFS=(cali4b9e2d7a0c3 calie07f3a9c5b8); WEB_IP4=(10.1.104.4 10.1.104.5)
    WEB_IP6=(fd01::5d2e:91a4:7c3b:6804 fd01::5d2e:91a4:7c3b:6805)
  fi
}

# ---------------------------------------------------------------------------------------------
# Felix restore payloads (built once per node: felix retries with the identical input)
# ---------------------------------------------------------------------------------------------

# rhash -> REPLY: a 16-char felix rule hash (base64url alphabet)
rhash() {
  local a='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_' out=''
  while (( ${#out} < 16 )); do rnd 64; out+=${a:REPLY:1}; done
  REPLY=$out
}
# R CHAIN-OP REST...: one rule line with a fresh hash comment, appended to PAYLOAD
R() {
  local op=$1 pre=$2; shift 2
  rhash
  PAYLOAD+="$op ${pre}-m comment --comment \"cali:$REPLY\" $*"$'\n'
}

build_payloads() {
  seed 4242
  [[ $NODE == node2 ]] && seed 4343
  # raw (IPv6): small; the first rule (line 7) already uses the MARK target.
  PAYLOAD=$'*raw\n:cali-OUTPUT - -\n:cali-PREROUTING - -\n:cali-from-host-endpoint - -\n:cali-rpf-skip - -\n:cali-to-host-endpoint - -\n'
  R -A "cali-OUTPUT " --jump MARK --set-mark 0x0/0xf0000
  R -A "cali-OUTPUT " --jump cali-to-host-endpoint
  R -A "cali-OUTPUT " -m mark --mark 0x10000/0x10000 --jump ACCEPT
  R -A "cali-PREROUTING " --jump MARK --set-mark 0x0/0xf0000
  R -A "cali-PREROUTING " -i cali+ --jump MARK --set-mark 0x40000/0x40000
  R -A "cali-PREROUTING " -m mark --mark 0x40000/0x40000 --jump cali-rpf-skip
  R -A "cali-PREROUTING " -m mark --mark 0x40000/0x40000 -m rpfilter --validmark --invert --jump DROP
  R -A "cali-PREROUTING " -m mark --mark 0x0/0x40000 --jump cali-from-host-endpoint
  R -A "cali-PREROUTING " -m mark --mark 0x10000/0x10000 --jump ACCEPT
  PAYLOAD+=$'-I OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" --jump cali-OUTPUT\n'
  PAYLOAD+=$'-I PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" --jump cali-PREROUTING\nCOMMIT\n'
  RAW6=$PAYLOAD

  # filter (IPv6): every chain of a node with four local workloads. Well over 16 KiB once quoted.
  local ifs=("$KC_IF" "$DNS_IF" "${WEB_IFS[@]}")
  local sas=(_u2Tn2rSoAPffvE7JO6 _nzzjLvInId1gPHmQz_ _kJqfZqgUoXmVGoFD8U _kJqfZqgUoXmVGoFD8U)
  local nss=(kube-system kube-system default default)
  PAYLOAD=$'*filter\n'
  local c
  for c in cali-FORWARD cali-INPUT cali-OUTPUT cali-cidr-block cali-failsafe-in cali-failsafe-out \
           cali-from-hep-forward cali-from-host-endpoint cali-from-wl-dispatch \
           "cali-fw-${ifs[0]}" "cali-fw-${ifs[1]}" "cali-fw-${ifs[2]}" "cali-fw-${ifs[3]}" \
           cali-pri-_kJqfZqgUoXmVGoFD8U cali-pri-_nzzjLvInId1gPHmQz_ cali-pri-_u2Tn2rSoAPffvE7JO6 \
           cali-pri-kns.default cali-pri-kns.kube-system \
           cali-pro-_kJqfZqgUoXmVGoFD8U cali-pro-_nzzjLvInId1gPHmQz_ cali-pro-_u2Tn2rSoAPffvE7JO6 \
           cali-pro-kns.default cali-pro-kns.kube-system \
           cali-to-hep-forward cali-to-host-endpoint cali-to-wl-dispatch \
           "cali-tw-${ifs[0]}" "cali-tw-${ifs[1]}" "cali-tw-${ifs[2]}" "cali-tw-${ifs[3]}" cali-wl-to-host; do
    PAYLOAD+=":$c - -"$'\n'
  done
  R -A "cali-FORWARD " --jump MARK --set-mark 0x0/0xe0000
  R -A "cali-FORWARD " -m mark --mark 0x0/0x10000 --jump cali-from-hep-forward
  R -A "cali-FORWARD " -i cali+ --jump cali-from-wl-dispatch
  R -A "cali-FORWARD " -o cali+ --jump cali-to-wl-dispatch
  R -A "cali-FORWARD " --jump cali-to-hep-forward
  R -A "cali-FORWARD " --jump cali-cidr-block
  R -A "cali-INPUT " -p udp -m comment --comment "\"Allow IPv6 VXLAN packets from allowed hosts\"" -m multiport --destination-ports 4789 -m set --match-set cali60all-vxlan-net src -m addrtype --dst-type LOCAL --jump ACCEPT
  R -A "cali-INPUT " -p udp -m comment --comment "\"Drop IPv6 VXLAN packets from non-allowed hosts\"" -m multiport --destination-ports 4789 -m addrtype --dst-type LOCAL --jump DROP
  R -A "cali-INPUT " -i cali+ --goto cali-wl-to-host
  R -A "cali-INPUT " -m mark --mark 0x10000/0x10000 --jump ACCEPT
  R -A "cali-INPUT " --jump MARK --set-mark 0x0/0xf0000
  R -A "cali-INPUT " --jump cali-from-host-endpoint
  R -A "cali-INPUT " -m comment --comment "\"Host endpoint policy accepted packet.\"" -m mark --mark 0x10000/0x10000 --jump ACCEPT
  R -A "cali-OUTPUT " -m mark --mark 0x10000/0x10000 --jump ACCEPT
  R -A "cali-OUTPUT " -o cali+ --jump RETURN
  R -A "cali-OUTPUT " -p udp -m comment --comment "\"Allow IPv6 VXLAN packets to other allowed hosts\"" -m multiport --destination-ports 4789 -m addrtype --src-type LOCAL -m set --match-set cali60all-vxlan-net dst --jump ACCEPT
  R -A "cali-OUTPUT " --jump MARK --set-mark 0x0/0xf0000
  R -A "cali-OUTPUT " -m conntrack ! --ctstate DNAT,SNAT --jump cali-to-host-endpoint
  R -A "cali-OUTPUT " -m comment --comment "\"Host endpoint policy accepted packet.\"" -m mark --mark 0x10000/0x10000 --jump ACCEPT
  local p
  for p in 22 179 2379 2380 5473 6443 6666 6667; do R -A "cali-failsafe-in " -p tcp -m multiport --destination-ports $p --jump ACCEPT; done
  R -A "cali-failsafe-in " -p udp -m multiport --destination-ports 546 --jump ACCEPT
  for p in 53 547; do R -A "cali-failsafe-out " -p udp -m multiport --destination-ports $p --jump ACCEPT; done
  for p in 179 2379 2380 5473 6443 6666 6667; do R -A "cali-failsafe-out " -p tcp -m multiport --destination-ports $p --jump ACCEPT; done
  local i
  for i in 0 1 2 3; do R -A "cali-from-wl-dispatch " -i "${ifs[i]}" --goto "cali-fw-${ifs[i]}"; done
  R -A "cali-from-wl-dispatch " -m comment --comment "\"Unknown interface\"" --jump DROP
  for i in 0 1 2 3; do
    local f="cali-fw-${ifs[i]} " ns=${nss[i]} sa=${sas[i]}
    R -A "$f" -m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT
    R -A "$f" -m conntrack --ctstate INVALID --jump DROP
    R -A "$f" --jump MARK --set-mark 0x0/0x10000
    R -A "$f" -p udp -m comment --comment "\"Drop VXLAN encapped packets originating in workloads\"" -m multiport --destination-ports 4789 --jump DROP
    R -A "$f" -p ipv6-icmp -m icmp6 --icmpv6-type 130 --jump DROP
    R -A "$f" -p ipv6-icmp -m icmp6 --icmpv6-type 143 --jump DROP
    R -A "$f" --jump "cali-pro-kns.$ns"
    R -A "$f" -m comment --comment "\"Return if profile accepted\"" -m mark --mark 0x10000/0x10000 --jump RETURN
    R -A "$f" --jump "cali-pro-$sa"
    R -A "$f" -m comment --comment "\"Return if profile accepted\"" -m mark --mark 0x10000/0x10000 --jump RETURN
    R -A "$f" -m comment --comment "\"Drop if no profiles matched\"" --jump DROP
  done
  for ns in default kube-system; do
    R -A "cali-pri-kns.$ns " -m comment --comment "\"Profile kns.$ns ingress\"" --jump MARK --set-mark 0x10000/0x10000
    R -A "cali-pro-kns.$ns " -m comment --comment "\"Profile kns.$ns egress\"" --jump MARK --set-mark 0x10000/0x10000
  done
  for i in 0 1 2 3; do R -A "cali-to-wl-dispatch " -o "${ifs[i]}" --goto "cali-tw-${ifs[i]}"; done
  R -A "cali-to-wl-dispatch " -m comment --comment "\"Unknown interface\"" --jump DROP
  for i in 0 1 2 3; do
    local t="cali-tw-${ifs[i]} " ns=${nss[i]} sa=${sas[i]}
    R -A "$t" -m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT
    R -A "$t" -m conntrack --ctstate INVALID --jump DROP
    R -A "$t" --jump MARK --set-mark 0x0/0x10000
    R -A "$t" --jump "cali-pri-kns.$ns"
    R -A "$t" -m comment --comment "\"Return if profile accepted\"" -m mark --mark 0x10000/0x10000 --jump RETURN
    R -A "$t" --jump "cali-pri-$sa"
    R -A "$t" -m comment --comment "\"Return if profile accepted\"" -m mark --mark 0x10000/0x10000 --jump RETURN
    R -A "$t" -m comment --comment "\"Drop if no profiles matched\"" --jump DROP
  done
  for p in 130 131 132 133 135 136; do R -A "cali-wl-to-host " -p ipv6-icmp -m icmp6 --icmpv6-type $p --jump ACCEPT; done
  R -A "cali-wl-to-host " --jump cali-from-wl-dispatch
  R -A "cali-wl-to-host " -m comment --comment "\"Configured DefaultEndpointToHostAction\"" --jump ACCEPT
  PAYLOAD+=$'-I FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" --jump cali-FORWARD\n'
  PAYLOAD+=$'-I INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" --jump cali-INPUT\n'
  PAYLOAD+=$'-I OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" --jump cali-OUTPUT\n'
  PAYLOAD+=$'-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 --jump ACCEPT\n'
  PAYLOAD+=$'-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" --jump MARK --set-mark 0x10000/0x10000\nCOMMIT\n'
  FILTER6=$PAYLOAD
  # line of the first MARK rule: where ip6tables-restore stops
  local n=0 line
  FILTER6_ERRLINE=0
  while IFS= read -r line; do
    n=$((n + 1))
    if [[ $line == *--set-mark* ]]; then FILTER6_ERRLINE=$n; break; fi
  done <<<"$FILTER6"
  seed 777
}

# ---------------------------------------------------------------------------------------------
# calico-node container stdout (Calico v3.29.3 logutils format)
# ---------------------------------------------------------------------------------------------

# fx LEVEL PID FILE LINE MSG  (at T)
fx() { f_felix "$T"; emit "$T" "$REPLY [$1][$2] $3 $4: $5"; }
raw() { emit "$T" "$1"; }

health_table() { # live ready rows...
  local live=$1 ready=$2; shift 2
  fx INFO "$FPID" felix/health.go 336 "Overall health status changed: live=$live ready=$ready"
  raw "+---------------------------+---------+----------------+---------------------+--------+"
  raw "|         COMPONENT         | TIMEOUT |    LIVENESS    |      READINESS      | DETAIL |"
  raw "+---------------------------+---------+----------------+---------------------+--------+"
  local r
  for r in "$@"; do raw "$r"; done
  raw "+---------------------------+---------+----------------+---------------------+--------+"
}

calico_startup() {
  local p=9 first=$1
  fx INFO $p startup/startup.go 431 "Early log level set to info"; adv 0 2
  fx INFO $p startup/utils.go 126 "Using NODENAME environment for node name $NODE"
  fx INFO $p startup/utils.go 138 "Determined node name: $NODE"; adv 0 2
  fx INFO $p startup/startup.go 95 "Starting node $NODE with version $CALICO"; adv 1 3
  fx INFO $p startup/startup.go 436 "Checking datastore connection"; adv 8 40
  fx INFO $p startup/startup.go 460 "Datastore connection verified"
  fx INFO $p startup/startup.go 105 "Datastore is ready"; adv 3 9
  fx INFO $p startup/customresource.go 102 "Error getting resource Key=GlobalFelixConfig(name=CalicoVersion) Name=\"calicoversion\" Resource=\"GlobalFelixConfigs\" error=the server could not find the requested resource (get GlobalFelixConfigs.crd.projectcalico.org calicoversion)"; adv 8 15
  fx INFO $p startup/startup.go 489 "Initialize BGP data"; adv 0 2
  fx INFO $p startup/autodetection_methods.go 103 "Using autodetected IPv4 address on interface $IFACE: $IP4/24"
  fx INFO $p startup/autodetection_methods.go 103 "Using autodetected IPv6 address on interface $IFACE: $IP6/64"; adv 0 1
  fx INFO $p startup/startup.go 822 "No AS number configured on node resource, using global value"
  fx INFO $p startup/utils.go 190 "Setting NetworkUnavailable to False"; adv 10 30
  fx INFO $p startup/startup.go 767 "CALICO_IPV4POOL_NAT_OUTGOING is true (defaulted) through environment variable"
  fx INFO $p startup/startup.go 1138 "Ensure default IPv4 pool is created. IPIP mode: Never, VXLAN mode: Always, DisableBGPExport: false"; adv 4 12
  fx INFO $p startup/startup.go 767 "CALICO_IPV6POOL_NAT_OUTGOING is false (defaulted) through environment variable"
  fx INFO $p startup/startup.go 1138 "Ensure default IPv6 pool is created. IPIP mode: Never, VXLAN mode: Always, DisableBGPExport: false"; adv 4 12
  fx INFO $p startup/startup.go 711 "FELIX_IPV6SUPPORT is true through environment variable"; adv 20 60
  fx INFO $p startup/startup.go 231 "Using node name: $NODE"; adv 1 4
  [[ $first == 1 ]] && fx INFO $p startup/utils.go 60 "removed shutdown timestamp timestamp=\"$SHUTDOWN_TS\""
  adv 5 20
  raw "CALICO_NETWORKING_BACKEND is vxlan - no need to run a BGP daemon"
  raw "Calico node started successfully"; adv 600 900
}

calico_services() {
  local a=58 s=59 m=62
  fx INFO $a tunnel-ip-allocator/param_types.go 718 'StringSliceParam StringSliceParam raw="docker+"'
  fx INFO $a tunnel-ip-allocator/param_types.go 718 'StringSliceParam StringSliceParam raw="cali"'; adv 1 3
  fx INFO $a tunnel-ip-allocator/config_params.go 442 "Merging in config from environment variable: map[defaultendpointtohostaction:ACCEPT featuredetectoverride:ChecksumOffloadBroken=true healthenabled:true ipinipmtu:0 ipv6support:true vxlanmtu:0 wireguardmtu:0]"; adv 5 20
  fx INFO $s status-reporter/startup.go 431 "Early log level set to info"
  fx INFO $s status-reporter/utils.go 126 "Using NODENAME environment for node name $NODE"
  fx INFO $s status-reporter/utils.go 138 "Determined node name: $NODE"; adv 0 2
  fx INFO $s status-reporter/startup.go 444 "Checking datastore connection"; adv 2 8
  fx INFO $m monitor-addresses/startup.go 431 "Early log level set to info"
  fx INFO $m monitor-addresses/utils.go 126 "Using NODENAME environment for node name $NODE"
  fx INFO $m monitor-addresses/utils.go 138 "Determined node name: $NODE"; adv 3 10
  fx INFO $s status-reporter/startup.go 468 "Datastore connection verified"
  fx INFO $s status-reporter/startup.go 113 "Datastore is ready"; adv 2 5
  fx INFO $s status-reporter/watchersyncer.go 89 "Start called"; adv 10 40
  fx INFO $a tunnel-ip-allocator/allocateip.go 316 "Current address is still valid, do nothing currentAddr=\"$CN_TUN4\" type=\"vxlanTunnelAddress\""; adv 3 9
  fx INFO $a tunnel-ip-allocator/allocateip.go 316 "Current address is still valid, do nothing currentAddr=\"$CN_TUN6\" type=\"vxlanV6TunnelAddress\""; adv 5 15
  fx INFO $m monitor-addresses/autodetection_methods.go 103 "Using autodetected IPv4 address on interface $IFACE: $IP4/24"
  fx INFO $m monitor-addresses/autodetection_methods.go 103 "Using autodetected IPv6 address on interface $IFACE: $IP6/64"; adv 40 120
}

FELIX_CONFIG='config=&config.Config{UseInternalDataplaneDriver:true, DataplaneDriver:"calico-iptables-plugin", DataplaneWatchdogTimeout:90000000000, WireguardEnabled:false, WireguardEnabledV6:false, WireguardListeningPort:51820, BPFEnabled:false, BPFDisableUnprivileged:true, BPFLogLevel:"off", DatastoreType:"kubernetes", FelixHostname:"__NODE__", EtcdAddr:"127.0.0.1:2379", EtcdScheme:"http", TyphaAddr:"", TyphaK8sServiceName:"", TyphaK8sNamespace:"kube-system", Ipv6Support:true, BPFIpv6Support:false, IptablesBackend:"auto", RouteRefreshInterval:90000000000, InterfaceRefreshInterval:90000000000, DeviceRouteSourceAddress:net.IP(nil), DeviceRouteSourceAddressIPv6:net.IP(nil), DeviceRouteProtocol:3, RemoveExternalRoutes:true, IPForwarding:"Enabled", IptablesRefreshInterval:180000000000, IptablesPostWriteCheckIntervalSecs:5000000000, IptablesLockFilePath:"/run/xtables.lock", IptablesLockTimeoutSecs:0, IptablesLockProbeIntervalMillis:50000000, FeatureDetectOverride:map[string]string{"ChecksumOffloadBroken":"true"}, FeatureGates:map[string]string(nil), IpsetsRefreshInterval:90000000000, MaxIpsetSize:1048576, XDPRefreshInterval:90000000000, PolicySyncPathPrefix:"", NetlinkTimeoutSecs:10000000000, MetadataAddr:"", MetadataPort:8775, OpenstackRegion:"", InterfacePrefix:"cali", InterfaceExclude:[]*regexp.Regexp{(*regexp.Regexp)(0xc0003f7b80)}, ChainInsertMode:"insert", DefaultEndpointToHostAction:"ACCEPT", IptablesFilterAllowAction:"ACCEPT", IptablesMangleAllowAction:"ACCEPT", IptablesFilterDenyAction:"DROP", LogPrefix:"calico-packet", LogFilePath:"", LogSeverityFile:"", LogSeverityScreen:"INFO", LogSeveritySys:"", VXLANEnabled:(*bool)(0xc0006f2a3e), VXLANPort:4789, VXLANVNI:4096, VXLANMTU:0, VXLANMTUV6:0, IPv4VXLANTunnelAddr:net.IP{0xa, 0x1, __TUN__}, IPv6VXLANTunnelAddr:net.IP(nil), VXLANTunnelMACAddr:"", VXLANTunnelMACAddrV6:"", IpInIpEnabled:(*bool)(0xc0006f2a3f), IpInIpMtu:0, IpInIpTunnelAddr:net.IP(nil), FloatingIPs:"Disabled", WindowsManageFirewallRules:"Disabled", AllowVXLANPacketsFromWorkloads:false, AllowIPIPPacketsFromWorkloads:false, AWSSrcDstCheck:"DoNothing", ServiceLoopPrevention:"Drop", WorkloadSourceSpoofing:"Disabled", ReportingIntervalSecs:0, ReportingTTLSecs:90000000000, EndpointReportingEnabled:false, EndpointReportingDelaySecs:1000000000, IptablesMarkMask:0xffff0000, DisableConntrackInvalidCheck:false, HealthEnabled:true, HealthPort:9099, HealthHost:"localhost", HealthTimeoutOverrides:map[string]time.Duration(nil), PrometheusMetricsEnabled:false, PrometheusMetricsHost:"", PrometheusMetricsPort:9091, KubeNodePortRanges:[]numorstring.Port{numorstring.Port{MinPort:0x7530, MaxPort:0x7fff, PortName:""}}, NATPortRange:numorstring.Port{MinPort:0x0, MaxPort:0x0, PortName:""}, NATOutgoingAddress:net.IP(nil), UsageReportingEnabled:true, ClusterGUID:"__GUID__", ClusterType:"k8s,bgp,kubeadm,kdd", CalicoVersion:"v3.29.3", ExternalNodesCIDRList:[]string(nil), RouteTableRanges:idalloc.RangeSet(nil), RouteTableRange:idalloc.IndexRange{Min:1, Max:250}, RouteSource:"CalicoIPAM", KubernetesProvider:0x0, MTUIfacePattern:(*regexp.Regexp)(0xc0003f7cc0), Encapsulation:config.Encapsulation{IPIPEnabled:false, VXLANEnabled:true, VXLANEnabledV6:true}, NFTablesMode:"Disabled", loadClientConfigFromEnvironment:(func() (*apiconfig.CalicoAPIConfig, error))(0x1e2f4c0), useNodeResourceUpdates:false, internalOverrides:map[string]string{}, rawValues:map[string]string{}, Err:error(nil), loadClientConfigFromEnvironmentSource:0x0}'

felix_boot() {
  local cfg
  fx INFO "$FPID" felix/daemon.go 163 "Felix starting up GOMAXPROCS=$CPUS builddate=\"2025-03-28T21:48:10+0000\" gitcommit=\"5e8dcfb5f2a3e8c6b5c6d0e4a7f1b2c3d9e0a1f4\" version=\"$CALICO\""; adv 0 2
  fx INFO "$FPID" felix/daemon.go 191 "Loading configuration..."; adv 0 2
  local kv
  for kv in '"defaultendpointtohostaction"="ACCEPT"' '"featuredetectoverride"="ChecksumOffloadBroken=true"' \
            '"healthenabled"="true"' '"ipinipmtu"="0"' '"ipv6support"="true"' '"vxlanmtu"="0"' '"wireguardmtu"="0"'; do
    fx INFO "$FPID" felix/env_var_loader.go 40 "Found felix environment variable: $kv"
  done
  adv 1 4
  fx INFO "$FPID" felix/config_params.go 709 "Parsing value for Ipv6Support: true (from environment variable)"
  fx INFO "$FPID" felix/config_params.go 745 "Parsed value for Ipv6Support: true (from environment variable)"
  fx INFO "$FPID" felix/config_params.go 709 "Parsing value for FeatureDetectOverride: ChecksumOffloadBroken=true (from environment variable)"
  fx INFO "$FPID" felix/config_params.go 745 "Parsed value for FeatureDetectOverride: map[ChecksumOffloadBroken:true] (from environment variable)"; adv 10 30
  fx INFO "$FPID" felix/daemon.go 251 "Loaded configuration from all sources"
  cfg=${FELIX_CONFIG//__NODE__/$NODE}; cfg=${cfg//__GUID__/$CLUSTER_GUID}
  cfg=${cfg//__TUN4__/$CN_TUN4}; cfg=${cfg//__TUN6__/$CN_TUN6}
  local t4=${CN_TUN4#10.1.}; cfg=${cfg//__TUN__/0x$(printf '%x' "${t4%.*}"), 0x$(printf '%x' "${t4#*.}")}
  fx INFO "$FPID" felix/daemon.go 275 "Successfully loaded configuration. GOMAXPROCS=$CPUS builddate=\"2025-03-28T21:48:10+0000\" $cfg gitcommit=\"5e8dcfb5f2a3e8c6b5c6d0e4a7f1b2c3d9e0a1f4\" version=\"$CALICO\""; adv 1 3
  fx INFO "$FPID" felix/daemon.go 300 "Using Kubernetes datastore driver, sharing Kubernetes client with datastore driver."; adv 3 9
  fx INFO "$FPID" felix/daemon.go 323 'Server Version: version.Info{Major:"1", Minor:"32", GitVersion:"v1.32.3", GitCommit:"32cc146f75aad04beaaa245a7157eb35063a9f99", GitTreeState:"clean", BuildDate:"2025-03-11T19:52:21Z", GoVersion:"go1.23.6", Compiler:"gc", Platform:"linux/amd64"}'; adv 1 3
  fx INFO "$FPID" felix/feature_detect.go 163 'Overriding feature detection flag flag="ChecksumOffloadBroken" value=true'
  fx INFO "$FPID" felix/feature_detect.go 174 "Updating detected iptables features features=environment.Features{SNATFullyRandom:true, MASQFullyRandom:true, RestoreSupportsLock:true, ChecksumOffloadBroken:true, IPIPDeviceIsL3:false, KernelSideRouteFiltering:true} iptablesVersion=$FELIX_IPT kernelVersion=$KSHORT"; adv 2 6
  fx INFO "$FPID" felix/int_dataplane.go 380 "Creating internal dataplane driver."; adv 1 3
  local v tb
  for v in 4 6; do
    for tb in raw mangle nat filter; do
      local ip=iptables; [[ $v == 6 ]] && ip=ip6tables
      fx INFO "$FPID" felix/feature_detect_linux.go 414 "Looked up iptables command backendMode=\"nft\" candidates=[]string{\"$ip-nft-restore\", \"$ip-restore\"} command=\"$ip-nft-restore\" ipVersion=0x$v saveOrRestore=\"restore\""
      fx INFO "$FPID" felix/feature_detect_linux.go 414 "Looked up iptables command backendMode=\"nft\" candidates=[]string{\"$ip-nft-save\", \"$ip-save\"} command=\"$ip-nft-save\" ipVersion=0x$v saveOrRestore=\"save\""
      fx INFO "$FPID" felix/table.go 467 "Enabling iptables-in-nftables-mode workarounds. ipVersion=0x$v table=\"$tb\""; adv 0 1
    done
  done
  adv 5 15
  fx INFO "$FPID" felix/int_dataplane.go 1027 "Registering to report health."
  health_table true false \
    "| FelixStartup              | 0s      | reporting live | reporting non-ready |        |" \
    "| InternalDataplaneMainLoop | 1m30s   | reporting live | reporting non-ready |        |"
  adv 2 6
  fx INFO "$FPID" felix/int_dataplane.go 2018 "Making sure IPv4 forwarding is enabled."
  fx INFO "$FPID" felix/int_dataplane.go 2028 "Making sure IPv6 forwarding is enabled."; adv 1 3
  fx INFO "$FPID" felix/daemon.go 414 "Connect to the dataplane driver."; adv 3 9
  fx INFO "$FPID" felix/daemon.go 506 "Connected to datastore; starting the processing graph"
  fx INFO "$FPID" felix/watchersyncer.go 89 "Start called"; adv 1 4
  fx INFO "$FPID" felix/daemon.go 580 "Started the processing graph"
  fx INFO "$FPID" felix/watchersyncer.go 130 "Sending status update Status=wait-for-ready"
  fx INFO "$FPID" felix/async_calc_graph.go 298 "Calculation graph status updated: wait-for-ready"
}

felix_sync() { # wait for the datastore, then the first flush
  local wait=$1
  T=$(( T + wait ))
  fx INFO "$FPID" felix/watchersyncer.go 130 "Sending status update Status=resync"; adv 50 400
  fx INFO "$FPID" felix/calc_graph.go 467 "Local endpoint updated id=WorkloadEndpoint(node=$NODE, orchestrator=k8s, workload=kube-system/$KC_POD, name=eth0)"
  fx INFO "$FPID" felix/calc_graph.go 467 "Local endpoint updated id=WorkloadEndpoint(node=$NODE, orchestrator=k8s, workload=kube-system/$DNS_POD, name=eth0)"
  fx INFO "$FPID" felix/calc_graph.go 467 "Local endpoint updated id=WorkloadEndpoint(node=$NODE, orchestrator=k8s, workload=default/${WEB_PODS[0]}, name=eth0)"
  fx INFO "$FPID" felix/calc_graph.go 467 "Local endpoint updated id=WorkloadEndpoint(node=$NODE, orchestrator=k8s, workload=default/${WEB_PODS[1]}, name=eth0)"; adv 5 30
  fx INFO "$FPID" felix/watchersyncer.go 130 "Sending status update Status=in-sync"
  fx INFO "$FPID" felix/async_calc_graph.go 298 "Calculation graph status updated: in-sync"; adv 1 5
  local since=$(( T - FSTART ))
  fx INFO "$FPID" felix/int_dataplane.go 1981 "Datastore in sync, flushing the dataplane for the first time... timeSinceStart=$(( since / 1000 )).$(printf %03d $(( since % 1000 )))s"; adv 20 60
  fx INFO "$FPID" felix/vxlan_mgr.go 532 "VXLAN device parent changed from \"\" to \"$IFACE\""
  fx INFO "$FPID" felix/vxlan_mgr.go 532 "VXLAN device parent changed from \"\" to \"$IFACE\" ipVersion=0x6"; adv 10 40
}

restore_fail() { # TABLE PAYLOAD ERRLINE
  local errout input
  goq "Warning: Extension MARK revision 0 not supported, missing kernel module?"$'\n'"ip6tables-restore v$FELIX_IPT (nf_tables): unknown option \"--set-mark\""$'\n'"Error occurred at line: $3"$'\n'"Try \`ip6tables-restore -h' or 'ip6tables-restore --help' for more information."$'\n'
  errout=$REPLY
  goq "$2"; input=$REPLY
  fx WARNING "$FPID" felix/table.go 1454 "Failed to execute ip(6)tables-restore command error=exit status 2 errorOutput=$errout input=$input ipVersion=0x6 output=\"\" table=\"$1\""
}

go_panic() {
  local g=$(( 180 + FPID % 97 )) a
  rhex 6; a=$REPLY
  raw "panic: (*logrus.Entry) 0xc000$a"
  raw ""
  raw "goroutine $g [running]:"
  raw "github.com/sirupsen/logrus.(*Entry).log(0xc000${a:0:3}cb0, 0x0, {0xc000d7c1e0, 0x32})"
  raw $'\t/go/pkg/mod/github.com/sirupsen/logrus@v1.9.3/entry.go:260 +0x491'
  raw "github.com/sirupsen/logrus.(*Entry).Log(0xc000${a:0:3}cb0, 0x0, {0xc000a9bc88?, 0x1?, 0x1?})"
  raw $'\t/go/pkg/mod/github.com/sirupsen/logrus@v1.9.3/entry.go:304 +0x48'
  raw "github.com/sirupsen/logrus.(*Entry).Panic(...)"
  raw $'\t/go/pkg/mod/github.com/sirupsen/logrus@v1.9.3/entry.go:342'
  raw "github.com/projectcalico/calico/felix/iptables.(*Table).Apply(0xc0002${a:2:4}8)"
  raw $'\t/go/src/github.com/projectcalico/calico/felix/iptables/table.go:1097 +0x8e5'
  raw "github.com/projectcalico/calico/felix/dataplane/linux.(*InternalDataplane).applyIPTablesAndIPSets.func3()"
  raw $'\t/go/src/github.com/projectcalico/calico/felix/dataplane/linux/int_dataplane.go:2367 +0x2f'
  raw "created by github.com/projectcalico/calico/felix/dataplane/linux.(*InternalDataplane).applyIPTablesAndIPSets in goroutine $((g - 13))"
  raw $'\t/go/src/github.com/projectcalico/calico/felix/dataplane/linux/int_dataplane.go:2364 +0x4a5'
}

# One felix life on the broken kernel: 11 failed restores of the IPv6 raw table (the IPv6 filter
# table fails alongside, once shown), diags, PANIC. runit restarts felix a second later.
felix_fail_cycle() { # WITH_FILTER
  local k back=1 when
  for (( k = 0; k <= 10; k++ )); do
    adv 6 14
    restore_fail raw "$RAW6" 7
    if [[ $1 == 1 && $k == 2 ]]; then
      adv 30 60
      restore_fail filter "$FILTER6" "$FILTER6_ERRLINE"
      fx WARNING "$FPID" felix/table.go 1082 'Failed to program iptables, will retry error=exit status 2 ipVersion=0x6 table="filter"'
    fi
    if (( k < 10 )); then
      fx WARNING "$FPID" felix/table.go 1082 'Failed to program iptables, will retry error=exit status 2 ipVersion=0x6 table="raw"'
      T=$(( T + back )); back=$(( back * 2 ))
      fx WARNING "$FPID" felix/table.go 1085 'Retrying... error=exit status 2 ipVersion=0x6 table="raw"'
      if [[ $1 == 1 && $k == 2 ]]; then
        fx WARNING "$FPID" felix/table.go 1085 'Retrying... error=exit status 2 ipVersion=0x6 table="filter"'
      fi
    fi
  done
  fx ERROR "$FPID" felix/table.go 1089 'Failed to program iptables, loading diags before panic. error=exit status 2 ipVersion=0x6 table="raw"'; adv 8 20
  local stamp st
  printf -v stamp '%(%a %b %e %H:%M:%S %Y)T' $(( T / 1000 ))
  rnd 900; local p1=$(( 1200 + REPLY )); rnd 900; local p2=$(( 1100 + REPLY ))
  goq "# Generated by ip6tables-nft-save v$FELIX_IPT (nf_tables) on $stamp"$'\n'"*raw"$'\n'":PREROUTING ACCEPT [$p1:$(( p1 * 113 ))]"$'\n'":OUTPUT ACCEPT [$p2:$(( p2 * 109 ))]"$'\n'"COMMIT"$'\n'"# Completed on $stamp"$'\n'
  fx ERROR "$FPID" felix/table.go 1095 "Current state of iptables ipVersion=0x6 iptablesState=$REPLY table=\"raw\""
  fx PANIC "$FPID" felix/table.go 1097 'Failed to program iptables, giving up after retries error=exit status 2 ipVersion=0x6 table="raw"'
  adv 1 3
  go_panic
}

felix_healthy_run() { # END
  local tend=$1
  fx INFO "$FPID" felix/ipip_mgr.go 84 'Failed to get IPIP tunnel device, assuming it isn'"'"'t present error=Link not found'; adv 40 120
  fx INFO "$FPID" felix/int_dataplane.go 2187 "Completed first update to dataplane. secsSinceStart=$(( (T - FSTART) / 1000 )).$(printf %03d $(( (T - FSTART) % 1000 )))"; adv 2 9
  health_table true true \
    "| CalculationGraph          | 30s     | reporting live | reporting ready     |        |" \
    "| FelixStartup              | 0s      | reporting live | reporting ready     |        |" \
    "| InternalDataplaneMainLoop | 1m30s   | reporting live | reporting ready     |        |"
  # one transient failure (a concurrent writer), retried successfully
  adv 2500 4000
  local input
  goq $'*filter\n-R cali-FORWARD 3 -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -i cali+ --jump cali-from-wl-dispatch\nCOMMIT\n'; input=$REPLY
  fx WARNING "$FPID" felix/table.go 1454 "Failed to execute ip(6)tables-restore command error=exit status 4 errorOutput=\"iptables-restore v$FELIX_IPT (nf_tables): \\nline 2: RULE_REPLACE failed (Resource temporarily unavailable): rule in chain cali-FORWARD\\n\" input=$input ipVersion=0x4 output=\"\" table=\"filter\""
  fx WARNING "$FPID" felix/table.go 1082 'Failed to program iptables, will retry error=exit status 4 ipVersion=0x4 table="filter"'; adv 1 2
  fx WARNING "$FPID" felix/table.go 1085 'Retrying... error=exit status 4 ipVersion=0x4 table="filter"'; adv 5 12
  fx WARNING "$FPID" felix/table.go 1101 'Succeeded after retry. ipVersion=0x4 table="filter"'
  local n=0
  while (( T + 61000 < tend )); do
    adv 60500 61500; n=$((n + 1))
    rnd 4; local loops=$(( 11 + REPLY )); rnd 6; local avg=$(( 3 + REPLY )); rnd 15; local lo=$(( 12 + REPLY ))
    local why='resync-filter-v4,resync-filter-v6,resync-mangle-v4,resync-mangle-v6,resync-nat-v4,resync-nat-v6,resync-raw-v4,resync-raw-v6'
    (( n % 3 == 1 )) && why='resync-ipsets-v4,resync-ipsets-v6'
    (( n % 3 == 2 )) && why='resync-routes-v4,resync-routes-v6'
    rnd 999; local frac; printf -v frac '%03d' $(( REPLY + 1 )); while [[ $frac == *0 ]]; do frac=${frac%0}; done
    fx INFO "$FPID" felix/summary.go 100 "Summarising $loops dataplane reconciliation loops over 1m0.${frac}s: avg=${avg}ms longest=${lo}ms ($why)"
  done
}

# A calico-node container's stdout from T0 to END (kill or collection time).
# MODE incident: felix panics in a loop; healthy: felix programs the dataplane and stays up.
calico_node_log() { # T0 MODE END FIRST
  T=$1; local mode=$2 tend=$3 first=${4:-0}
  calico_startup "$first"
  calico_services
  FPID=83; FSTART=$T
  local cycle=0 wait
  while :; do
    felix_boot
    if [[ $mode == healthy ]]; then felix_sync 9000; felix_healthy_run "$tend"; break; fi
    if (( cycle == 0 )); then wait=6200; else rnd 2000; wait=$(( 24000 + REPLY )); fi
    (( T + wait + 2500 > tend )) && break
    felix_sync "$wait"
    felix_fail_cycle $(( cycle == 0 ))
    cycle=$((cycle + 1))
    T=$(( T + 1000 )); rnd 40; T=$(( T + REPLY ))
    FPID=$(( FPID + 180 + (REPLY * 7) ))
    (( T + 4000 > tend )) && break
  done
}

# Keyed felix lines -> CRI container log (/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log):
# RFC3339Nano stamps, lines over 16 KiB split into P chunks closed by an F line.
cri_wrap() {
  local l key line last=-1 ns=0 stamp max=16384
  while IFS= read -r l; do
    key=$(( 10#${l%%$'\t'*} )); line=${l#*$'\t'}
    if (( key != last )); then rnd 400000; ns=$(( 100000 + REPLY )); last=$key
    else rnd 20000; ns=$(( ns + 1500 + REPLY )); (( ns > 999999 )) && ns=999999; fi
    printf -v stamp '%(%Y-%m-%dT%H:%M:%S)T.%03d%06d' $(( key / 1000 )) $(( key % 1000 )) "$ns"
    while [[ $stamp == *0 ]]; do stamp=${stamp%0}; done
    stamp+=Z
    while (( ${#line} > max )); do
      printf '%s stdout P %s\n' "$stamp" "${line:0:max}"
      line=${line:max}
    done
    printf '%s stdout F %s\n' "$stamp" "$line"
  done
}

# ---------------------------------------------------------------------------------------------
# kubelite (apiserver, controller-manager, scheduler, kubelet, kube-proxy in one process)
# ---------------------------------------------------------------------------------------------

KLOG_PLAIN=0
# kl/klc honour KLOG_PLAIN=1 (bare klog text, as kube-proxy writes it without the journal)
kl() {
  local k; f_klog "$T"; k=$REPLY
  if (( KLOG_PLAIN )); then emit "$T" "$1$k $(printf '%7d' "$KPID") $2] $3"; return; fi
  f_journal "$T"; emit "$T" "$REPLY $NODE microk8s.daemon-kubelite[$KPID]: $1$k $(printf '%7d' "$KPID") $2] $3"
}
klc() {
  if (( KLOG_PLAIN )); then emit "$T" "$1"; return; fi
  f_journal "$T"; emit "$T" "$REPLY $NODE microk8s.daemon-kubelite[$KPID]: $1"
}
sd() { jl systemd 1 "$1"; }

unit_started() { sd "Started snap.microk8s.daemon-$1.service - Service for snap application microk8s.daemon-$1."; }

# kube-proxy's IPv6 sync on the broken kernel: a klog err=< block, every line its own journal entry.
proxy_v6_fail() {
  kl E proxier.go:1564 '"Failed to execute iptables-restore" err=<'
  klc $'\texit status 2: Ignoring deprecated --wait-interval option.'
  klc $'\tWarning: Extension MARK revision 0 not supported, missing kernel module?'
  klc $'\tip6tables-restore v'"$SNAP_IPT"$' (nf_tables): unknown option "--xor-mark"'
  klc $'\tError occurred at line: 25'
  klc $'\tTry `ip6tables-restore -h\' or \'ip6tables-restore --help\' for more information.'
  klc ' > ipFamily="IPv6"'
  adv 0 1
  kl I proxier.go:837 '"Sync failed" ipFamily="IPv6" retryingTime="30s"'
}

kube_proxy_start() { # MODE
  kl I server_linux.go:66 '"Using iptables proxy"'; adv 40 90
  kl I server.go:698 '"Successfully retrieved node IP(s)" IPs=["'"$IP4"'","'"$IP6"'"]'; adv 2 8
  kl E server_linux.go:102 '"Error cleaning up nftables rules" err="could not find nftables binary: exec: \"nft\": executable file not found in $PATH"'; adv 1 4
  kl I server.go:243 '"kube-proxy running in dual-stack mode" primary ipFamily="IPv4"'
  kl I server_linux.go:170 '"Using iptables Proxier"'; adv 1 3
  kl I proxier.go:255 '"Setting route_localnet=1 to allow node-ports on localhost; to change this either disable iptables.localhostNodePorts (--iptables-localhost-nodeports) or set nodePortAddresses (--nodeport-addresses) to filter loopback addresses" ipFamily="IPv4"'; adv 2 6
  kl I server.go:497 '"Version info" version="'"$MK8S_VER"'"'
  kl I server.go:499 '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'; adv 3 9
  kl I config.go:199 '"Starting service config controller"'
  kl I shared_informer.go:313 'Waiting for caches to sync for service config'
  kl I config.go:105 '"Starting endpoint slice config controller"'
  kl I shared_informer.go:313 'Waiting for caches to sync for endpoint slice config'
  kl I config.go:329 '"Starting node config controller"'
  kl I shared_informer.go:313 'Waiting for caches to sync for node config'; adv 90 300
  kl I shared_informer.go:320 'Caches are synced for node config'
  kl I shared_informer.go:320 'Caches are synced for service config'
  kl I shared_informer.go:320 'Caches are synced for endpoint slice config'; adv 200 500
  [[ $1 == incident ]] && proxy_v6_fail
  return 0
}

kubelite_start() { # MODE (T at the service start)
  local mode=$1
  unit_started kubelite; adv 300 600
  kl I daemon.go:65 'Starting API server'; adv 2 6
  kl I options.go:228 "external host was not specified, using $IP4"; adv 1 3
  kl I server.go:167 "Version: $MK8S_VER"
  kl I server.go:169 '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'; adv 300 500
  kl I shared_informer.go:313 'Waiting for caches to sync for node_authorizer'; adv 5 20
  kl I plugins.go:157 'Loaded 14 mutating admission controller(s) successfully in the following order: NamespaceLifecycle,LimitRanger,ServiceAccount,NodeRestriction,TaintNodesByCondition,Priority,DefaultTolerationSeconds,DefaultStorageClass,StorageObjectInUseProtection,RuntimeClass,DefaultIngressClass,MutatingAdmissionPolicy,MutatingAdmissionWebhook,PodSecurity.'
  kl I plugins.go:160 'Loaded 13 validating admission controller(s) successfully in the following order: LimitRanger,ServiceAccount,PodSecurity,Priority,PersistentVolumeClaimResize,RuntimeClass,CertificateApproval,CertificateSigning,ClusterTrustBundleAttest,CertificateSubjectRestriction,ValidatingAdmissionPolicy,ValidatingAdmissionWebhook,ResourceQuota.'; adv 400 700
  kl I secure_serving.go:213 'Serving securely on [::]:16443'
  kl I tlsconfig.go:243 '"Starting DynamicServingCertificateController"'; adv 100 300
  kl I shared_informer.go:320 'Caches are synced for node_authorizer'
  kl I cache.go:39 'Caches are synced for APIServiceRegistrationController controller'
  kl I shared_informer.go:320 'Caches are synced for configmaps'; adv 80 200
  kl I controller.go:615 'quota admission added evaluator for: endpoints'
  kl I controller.go:615 'quota admission added evaluator for: endpointslices.discovery.k8s.io'; adv 300 500
  kl I daemon.go:103 'Starting controller-manager'
  kl I daemon.go:115 'Starting scheduler'
  kl I daemon.go:131 'Starting proxy'
  kl I daemon.go:143 'Starting kubelet'; adv 50 150
  kl I serving.go:386 'Generated self-signed cert in-memory'
  kl I controllermanager.go:195 '"Starting" version="'"$MK8S_VER"'"'; adv 20 60
  kl I leaderelection.go:257 'attempting to acquire leader lease kube-system/kube-controller-manager...'
  kl I leaderelection.go:257 'attempting to acquire leader lease kube-system/kube-scheduler...'; adv 100 250
  kube_proxy_start "$mode"
  adv 100 300
  kl I server.go:520 '"Kubelet version" kubeletVersion="'"$MK8S_VER"'"'
  kl I server.go:522 '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'; adv 5 20
  kl I dynamic_cafile_content.go:161 '"Starting controller" name="client-ca-bundle::/var/snap/microk8s/'"$MK8S_REV"'/certs/ca.crt"'; adv 100 300
  kl I kuberuntime_manager.go:262 '"Container runtime initialized" containerRuntime="containerd" version="'"$CONTAINERD_VER"'" apiVersion="v1"'; adv 20 80
  kl I server.go:1462 '"Started kubelet"'; adv 5 20
  kl I kubelet_network_linux.go:50 '"Initialized iptables rules." protocol="IPv4"'
  kl I kubelet_network_linux.go:50 '"Initialized iptables rules." protocol="IPv6"'; adv 20 60
  kl I kubelet_node_status.go:75 '"Attempting to register node" node="'"$NODE"'"'; adv 50 150
  kl I kubelet_node_status.go:124 '"Node was previously registered" node="'"$NODE"'"'
  kl I kubelet_node_status.go:78 '"Successfully registered node" node="'"$NODE"'"'; adv 100 300
  kl I leaderelection.go:271 'successfully acquired lease kube-system/kube-scheduler'
  kl I kubelet.go:2468 '"SyncLoop ADD" source="api" pods=["default/'"${WEB_PODS[0]}"'","kube-system/'"$CN_POD"'","kube-system/'"$DNS_POD"'","kube-system/'"$KC_POD"'","default/'"${WEB_PODS[1]}"'"]'; adv 1500 2500
  kl I leaderelection.go:271 'successfully acquired lease kube-system/kube-controller-manager'; adv 400 900
}

probe_fail() { # TYPE OUTPUT
  kl I prober.go:107 '"Probe failed" probeType="'"$1"'" pod="kube-system/'"$CN_POD"'" podUID="'"$CN_UID"'" containerName="calico-node" probeResult="failure" output="'"$2"'"'
}

go_dur() { # seconds -> REPLY (Go duration)
  local s=$1
  if (( s < 60 )); then REPLY="${s}s"; else REPLY="$(( s / 60 ))m$(( s % 60 ))s"; fi
}

# kubelet's view of the crash loop: probes, liveness kill, back-off. Fills CN_STARTS (ms) and
# CN_KILLS; the current container's id is CN_CID.
kubelet_crashloop() { # FIRST_START END
  local s=$1 tend=$2 k=1 backoff=10 cid prev='' t
  CN_STARTS=(); CN_KILLS=(); CN_CIDS=()
  while (( s < tend )); do
    CN_STARTS+=("$s")
    rhex 64; cid=$REPLY; CN_CIDS+=("$cid")
    T=$(( s + 1000 )); rnd 400; T=$(( T + REPLY ))
    local i
    for (( i = 0; i < 6 && T < tend; i++ )); do
      if (( i % 3 == 2 )); then
        probe_fail Readiness 'calico/node is not ready: felix is not ready: Get \"http://localhost:9099/readiness\": dial tcp [::1]:9099: connect: connection refused\n'
      else
        probe_fail Readiness 'calico/node is not ready: felix is not ready: readiness probe reporting 503\n'
      fi
      adv 9100 9300
      (( T >= tend )) && break
      if (( i % 2 == 1 )); then
        probe_fail Liveness 'calico/node is not ready: Felix is not live: Get \"http://localhost:9099/liveness\": dial tcp [::1]:9099: connect: connection refused\n'
      else
        probe_fail Liveness 'calico/node is not ready: Felix is not live: liveness probe reporting 503\n'
      fi
      if (( i < 5 )); then adv 700 900; fi
    done
    (( T >= tend )) && break
    adv 30 80
    CN_KILLS+=("$T")
    kl I kuberuntime_manager.go:1067 '"Message for Container of pod" containerName="calico-node" containerStatusID={"Type":"containerd","ID":"'"$cid"'"} pod="kube-system/'"$CN_POD"'" containerMessage="Container calico-node failed liveness probe, will be restarted"'
    kl I kuberuntime_container.go:809 '"Killing container with a grace period" pod="kube-system/'"$CN_POD"'" podUID="'"$CN_UID"'" containerName="calico-node" containerID="containerd://'"$cid"'" gracePeriod=2'
    adv 350 600
    [[ -n $prev ]] && kl I scope.go:117 '"RemoveContainer" containerID="'"$prev"'"'
    prev=$cid
    local until=$(( T + backoff * 1000 ))
    go_dur "$backoff"; local bo=$REPLY
    while (( T < until - 1500 && T < tend )); do
      kl E pod_workers.go:1301 '"Error syncing pod, skipping" err="failed to \"StartContainer\" for \"calico-node\" with CrashLoopBackOff: \"back-off '"$bo"' restarting failed container=calico-node pod='"$CN_POD"'_kube-system('"$CN_UID"')\"" pod="kube-system/'"$CN_POD"'" podUID="'"$CN_UID"'"'
      rnd 6000; T=$(( T + 12000 + REPLY ))
    done
    s=$until; rnd 200; s=$(( s + 150 + REPLY ))
    backoff=$(( backoff * 2 )); (( backoff > 300 )) && backoff=300
    k=$((k + 1))
  done
  CN_CID=$cid
}

# kube-proxy keeps failing its IPv6 sync: retried every 30 s, and on every Service/EndpointSlice change.
kube_proxy_loop() { # FROM END
  T=$1
  while (( T < $2 )); do
    proxy_v6_fail
    rnd 100; if (( REPLY < 12 )); then adv 900 4000; else adv 30000 30400; fi
  done
}

kubelite_journal_incident() { # FROM_PRE_REBOOT(0/1) END
  local pre=$1 tend=$2
  if (( pre )); then
    KPID_SAVE=$KPID; KPID=$KPID_OLD
    at 17:31:52.118; T=$REPLY
    kl I controller.go:615 'quota admission added evaluator for: jobs.batch'; adv 2000 4000
    kl I controller.go:615 'quota admission added evaluator for: deployments.apps'; adv 60 200
    kl I controller.go:615 'quota admission added evaluator for: replicasets.apps'; adv 400000 420000
    at 17:38:04.877; T=$REPLY
    kl I kubelet.go:2484 '"SyncLoop DELETE" source="api" pods=["kube-system/calico-node-5zr9c"]'; adv 40 90
    kl I kubelet.go:2478 '"SyncLoop REMOVE" source="api" pods=["kube-system/calico-node-5zr9c"]'; adv 500 800
    kl I kubelet.go:2468 '"SyncLoop ADD" source="api" pods=["kube-system/'"$CN_POD"'"]'; adv 600 900
    kl I topology_manager.go:215 '"Topology Admit Handler" podUID="'"$CN_UID"'" podName="'"$CN_POD"'"'; adv 9000 12000
    probe_fail Readiness 'calico/node is not ready: felix is not ready: Get \"http://localhost:9099/readiness\": dial tcp [::1]:9099: connect: connection refused\n'
    adv 700000 760000
    kl I scope.go:117 '"RemoveContainer" containerID="3c0f8a7d2b91e54f6a0c8d7e2f1b4a9c5d3e7f60a8b2c4d6e9f1a3b5c7d9e0f2"'
    at 17:50:03.104; T=$REPLY
    sd 'Stopping snap.microk8s.daemon-kubelite.service - Service for snap application microk8s.daemon-kubelite...'; adv 100 300
    kl I controller.go:128 'Shutting down kubernetes service endpoint reconciler'; adv 200 600
    kl I controller.go:86 'Shutting down OpenAPI AggregationController'
    kl I secure_serving.go:258 'Stopped listening on [::]:16443'; adv 600 900
    sd 'snap.microk8s.daemon-kubelite.service: Deactivated successfully.'
    sd 'Stopped snap.microk8s.daemon-kubelite.service - Service for snap application microk8s.daemon-kubelite.'
    sd 'snap.microk8s.daemon-kubelite.service: Consumed 4h 51min 6.214s CPU time, 1.4G memory peak, 0B memory swap peak.'
    jboot "$BOOT_ID"
    KPID=$KPID_SAVE
  fi
  at 18:06:26.017; T=$REPLY
  kubelite_start incident
  local proxy_from=$T
  at 18:06:52.004; local s1=$REPLY
  kubelet_crashloop "$s1" "$tend"
  kube_proxy_loop $(( proxy_from + 1400 )) "$tend"
}

kubelite_journal_healthy() { # END
  local tend=$1
  at 10:01:41.226; T=$REPLY
  kubelite_start healthy
  local pfrom=$T
  at 10:01:58.930; T=$REPLY
  probe_fail Readiness 'calico/node is not ready: felix is not ready: Get \"http://localhost:9099/readiness\": dial tcp [::1]:9099: connect: connection refused\n'
  adv 60000 90000
  kl I controller.go:615 'quota admission added evaluator for: cronjobs.batch'; adv 200 600
  kl I controller.go:615 'quota admission added evaluator for: deployments.apps'; adv 300000 360000
  kl I scope.go:117 '"RemoveContainer" containerID="9e1d4c7b3a2f08e5d6c9b1a4f7e2d0c3b8a5f6e9d2c1b4a7e0f3d6c9b2a5e8f1"'; adv 240000 300000
  kl W reflector.go:484 'k8s.io/client-go/informers/factory.go:160: watch of *v1.PartialObjectMetadata ended with: an error on the server ("unable to decode an event from the watch stream: context canceled") has prevented the request from succeeding'
  adv 30000 90000
  (( T < tend )) || return 0
  kl I controller.go:615 'quota admission added evaluator for: leases.coordination.k8s.io'
  : "$pfrom"
}

# ---------------------------------------------------------------------------------------------
# containerd (logrus), k8s-dqlite, cluster-agent, apiserver-kicker
# ---------------------------------------------------------------------------------------------

ct() { # LEVEL MSG-AND-FIELDS (already formatted after msg=)
  f_nano "$T"; local ts=$REPLY
  f_journal "$T"; emit "$T" "$REPLY $NODE microk8s.daemon-containerd[$CTPID]: time=\"$ts\" level=$1 msg=$2"
}

containerd_boot() {
  unit_started containerd; adv 200 400
  ct info "\"starting containerd\" revision=05044ec0a9a75232cad458027ca83437aae3f4da version=$CONTAINERD_VER"; adv 5 15
  local p
  for p in 'io.containerd.event.v1.exchange" type=io.containerd.event.v1' 'io.containerd.internal.v1.opt" type=io.containerd.internal.v1' \
           'io.containerd.warning.v1.deprecations" type=io.containerd.warning.v1' 'io.containerd.snapshotter.v1.blockfile" type=io.containerd.snapshotter.v1'; do
    ct info "\"loading plugin \\\"$p"
  done
  ct info "\"skip loading plugin \\\"io.containerd.snapshotter.v1.blockfile\\\"...\" error=\"no scratch file generator: skip plugin\" type=io.containerd.snapshotter.v1"
  ct info "\"loading plugin \\\"io.containerd.snapshotter.v1.aufs\\\"...\" type=io.containerd.snapshotter.v1"; adv 5 15
  ct info "\"skip loading plugin \\\"io.containerd.snapshotter.v1.aufs\\\"...\" error=\"aufs is not supported (modprobe aufs failed: exit status 1 \\\"modprobe: FATAL: Module aufs not found in directory /lib/modules/$KREL\\\\n\\\"): skip plugin\" type=io.containerd.snapshotter.v1"
  for p in 'io.containerd.snapshotter.v1.native" type=io.containerd.snapshotter.v1' 'io.containerd.snapshotter.v1.overlayfs" type=io.containerd.snapshotter.v1' \
           'io.containerd.snapshotter.v1.zfs" type=io.containerd.snapshotter.v1'; do
    ct info "\"loading plugin \\\"$p"
  done
  ct info "\"skip loading plugin \\\"io.containerd.snapshotter.v1.zfs\\\"...\" error=\"path /var/snap/microk8s/common/var/lib/containerd/io.containerd.snapshotter.v1.zfs must be a zfs filesystem to be used with the zfs snapshotter: skip plugin\" type=io.containerd.snapshotter.v1"; adv 10 30
  ct info "\"loading plugin \\\"io.containerd.grpc.v1.cri\\\"...\" type=io.containerd.grpc.v1"; adv 3 9
  ct info "\"Connect containerd service\""
  ct info "\"using legacy CRI server\""
  ct info "\"using experimental NRI integration - disable nri plugin to prevent this\""
  ct info "\"Get image filesystem path \\\"/var/snap/microk8s/common/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs\\\"\""; adv 2 8
  ct info "\"Start subscribing containerd event\""
  ct info "\"Start recovering state\""
  ct info "serving... address=/var/snap/microk8s/common/run/containerd.sock.ttrpc"
  ct info "serving... address=/var/snap/microk8s/common/run/containerd.sock"; adv 20 60
  ct info "\"Start event monitor\""
  ct info "\"Start snapshots syncer\""
  ct info "\"Start cni network conf syncer for default\""
  ct info "\"Start streaming server\""
  ct info "\"containerd successfully booted in 0.0$((41 + RNG % 40))1736s\""
}

ct_sandbox() { # POD UID NS ATTEMPT -> REPLY sandbox id
  local sb
  ct info "\"RunPodSandbox for &PodSandboxMetadata{Name:$1,Uid:$2,Namespace:$3,Attempt:$4,}\""; adv 300 900
  rhex 64; sb=$REPLY
  ct info "\"RunPodSandbox for &PodSandboxMetadata{Name:$1,Uid:$2,Namespace:$3,Attempt:$4,} returns sandbox id \\\"$sb\\\"\""
  REPLY=$sb
}
ct_start() { # SANDBOX NAME ATTEMPT [CID] -> REPLY cid
  local sb=$1 cid=${4:-}
  [[ -z $cid ]] && { rhex 64; cid=$REPLY; }
  ct info "\"CreateContainer within sandbox \\\"$sb\\\" for container &ContainerMetadata{Name:$2,Attempt:$3,}\""; adv 60 200
  ct info "\"CreateContainer within sandbox \\\"$sb\\\" for &ContainerMetadata{Name:$2,Attempt:$3,} returns container id \\\"$cid\\\"\""
  ct info "\"StartContainer for \\\"$cid\\\"\""; adv 90 250
  ct info "\"StartContainer for \\\"$cid\\\" returns successfully\""
  REPLY=$cid
}
ct_stop() { # CID
  ct info "\"StopContainer for \\\"$1\\\" with timeout 2 (s)\""
  ct info "\"Stop container \\\"$1\\\" with signal terminated\""; adv 280 520
  ct info "\"shim disconnected\" id=$1 namespace=k8s.io"
  ct warning "\"cleaning up after shim disconnected\" id=$1 namespace=k8s.io"
  ct info "\"cleaning up dead shim\" namespace=k8s.io"; adv 5 30
  ct info "\"StopContainer for \\\"$1\\\" returns successfully\""
}

containerd_journal() { # MODE END (needs CN_STARTS/CN_KILLS/CN_CIDS for incident)
  local mode=$1 tend=$2 i sb
  if [[ $mode == incident ]]; then
    CTPID=1089
    at 17:38:05.612; T=$REPLY
    ct_sandbox "$CN_POD" "$CN_UID" kube-system 0; sb=$REPLY; adv 200 400
    ct_start "$sb" upgrade-ipam 0 >/dev/null; adv 1500 2500
    ct_start "$sb" install-cni 0 >/dev/null; adv 2500 3500
    ct_start "$sb" calico-node 0 >/dev/null
    at 17:50:03.015; T=$REPLY
    sd 'Stopping snap.microk8s.daemon-containerd.service - Service for snap application microk8s.daemon-containerd...'; adv 300 600
    ct info "\"Stop CRI service\""
    ct info "\"Stop CRI service\""; adv 50 150
    ct info "\"Event monitor stopped\""
    ct info "\"Stream server stopped\""
    ct info "\"containerd successfully shutdown\""; adv 200 400
    sd 'snap.microk8s.daemon-containerd.service: Deactivated successfully.'
    sd 'Stopped snap.microk8s.daemon-containerd.service - Service for snap application microk8s.daemon-containerd.'
    sd 'snap.microk8s.daemon-containerd.service: Consumed 1h 3min 47.902s CPU time, 3.1G memory peak, 0B memory swap peak.'
    jboot "$BOOT_ID"
    CTPID=$CPID
    at 18:06:25.211; T=$REPLY
    containerd_boot
    at 18:06:36.108; T=$REPLY
    ct_sandbox "$CN_POD" "$CN_UID" kube-system 1; sb=$REPLY; adv 200 400
    ct_start "$sb" upgrade-ipam 0 >/dev/null
    local s1=${CN_STARTS[0]}
    T=$(( s1 - 6100 ))
    ct_start "$sb" install-cni 0 >/dev/null
    local webuid=("${WEB_UIDS[@]}")
    at 18:06:37.305; T=$REPLY
    local dsb ksb w0 w1
    ct_sandbox "$DNS_POD" "$DNS_UID" kube-system 3; dsb=$REPLY
    ct_sandbox "$KC_POD" "$KC_UID" kube-system 3; ksb=$REPLY
    ct_sandbox "${WEB_PODS[0]}" "${webuid[0]}" default 2; w0=$REPLY
    ct_sandbox "${WEB_PODS[1]}" "${webuid[1]}" default 2; w1=$REPLY
    T=$(( s1 - 420 ))
    for (( i = 0; i < ${#CN_STARTS[@]}; i++ )); do
      T=$(( CN_STARTS[i] - 380 ))
      ct_start "$sb" calico-node $(( 8 + i )) "${CN_CIDS[i]}" >/dev/null
      if (( i > 1 )); then ct info "\"RemoveContainer for \\\"${CN_CIDS[i-2]}\\\"\""; adv 5 20; ct info "\"RemoveContainer for \\\"${CN_CIDS[i-2]}\\\" returns successfully\""; fi
      if (( i == 0 )); then
        adv 1200 1800; ct_start "$dsb" coredns 3 >/dev/null
        adv 300 600; ct_start "$ksb" calico-kube-controllers 3 >/dev/null
        adv 300 600; ct_start "$w0" nginx 2 >/dev/null
        adv 100 300; ct_start "$w1" nginx 2 >/dev/null
      fi
      if (( i < ${#CN_KILLS[@]} )); then T=$(( CN_KILLS[i] + 3 )); ct_stop "${CN_CIDS[i]}"; fi
    done
  else
    CTPID=$CPID
    at 10:01:39.870; T=$REPLY
    containerd_boot
    at 10:01:52.402; T=$REPLY
    ct_sandbox "$CN_POD" "$CN_UID" kube-system 4; sb=$REPLY; adv 200 400
    ct_start "$sb" upgrade-ipam 0 >/dev/null; adv 1500 2200
    ct_start "$sb" install-cni 0 >/dev/null; adv 2500 3200
    ct_start "$sb" calico-node 4 >/dev/null; adv 1500 2500
    local dsb ksb w0 w1
    ct_sandbox "$DNS_POD" "$DNS_UID" kube-system 2; dsb=$REPLY
    ct_sandbox "$KC_POD" "$KC_UID" kube-system 2; ksb=$REPLY
    ct_sandbox "${WEB_PODS[0]}" "${WEB_UIDS[0]}" default 1; w0=$REPLY
    ct_sandbox "${WEB_PODS[1]}" "${WEB_UIDS[1]}" default 1; w1=$REPLY; adv 300 900
    ct_start "$dsb" coredns 2 >/dev/null; adv 300 600
    ct_start "$ksb" calico-kube-controllers 2 >/dev/null; adv 300 600
    ct_start "$w0" nginx 1 >/dev/null; adv 100 300
    ct_start "$w1" nginx 1 >/dev/null; adv 240000 300000
    ct info "\"ImageUpdate event name:\\\"docker.io/library/nginx:1.27-alpine\\\" labels:{key:\\\"io.cri-containerd.image\\\" value:\\\"managed\\\"}\""
  fi
  : "$tend"
}

dqlite_journal() { # MODE
  local p
  if [[ $1 == incident ]]; then
    p=1077
    at 17:50:04.402; T=$REPLY
    sd 'Stopping snap.microk8s.daemon-k8s-dqlite.service - Service for snap application microk8s.daemon-k8s-dqlite...'; adv 200 500
    jl microk8s.daemon-k8s-dqlite $p "I0526 17:50:04.$((600000 + RNG % 99999))    $p log.go:198] Shutting down dqlite"; adv 300 800
    sd 'snap.microk8s.daemon-k8s-dqlite.service: Deactivated successfully.'
    sd 'Stopped snap.microk8s.daemon-k8s-dqlite.service - Service for snap application microk8s.daemon-k8s-dqlite.'
    jboot "$BOOT_ID"
    at 18:06:25.309; T=$REPLY
  else
    at 10:01:39.911; T=$REPLY
  fi
  p=$DQPID
  local k
  unit_started k8s-dqlite; adv 100 300
  jl microk8s.daemon-k8s-dqlite $p "+ exec /snap/microk8s/$MK8S_REV/bin/k8s-dqlite --storage-dir=/var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/ --listen=unix:///var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/kine.sock:12379"; adv 100 300
  for k in 'Starting dqlite' 'New kine for dqlite' "DriverName is dqlite-$p." 'Connection string is: dqlite://k8s' 'Setting up dqlite' \
           "Kine listening on unix:///var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/kine.sock:12379"; do
    f_klog "$T"; jl microk8s.daemon-k8s-dqlite $p "I$REPLY $(printf '%7d' $p) log.go:198] $k"; adv 30 200
  done
}

agent_journal() { # MODE
  if [[ $1 == incident ]]; then
    at 17:50:04.010; T=$REPLY
    sd 'Stopping snap.microk8s.daemon-cluster-agent.service - Service for snap application microk8s.daemon-cluster-agent...'; adv 100 300
    sd 'snap.microk8s.daemon-cluster-agent.service: Deactivated successfully.'
    sd 'Stopped snap.microk8s.daemon-cluster-agent.service - Service for snap application microk8s.daemon-cluster-agent.'
    jboot "$BOOT_ID"
    at 18:06:25.290; T=$REPLY
  else
    at 10:01:39.901; T=$REPLY
  fi
  unit_started cluster-agent; adv 150 400
  jl microk8s.daemon-cluster-agent "$CAPID" "+ exec /snap/microk8s/$MK8S_REV/bin/cluster-agent cluster-agent --bind 0.0.0.0:25000 --keyfile /var/snap/microk8s/$MK8S_REV/certs/server.key --certfile /var/snap/microk8s/$MK8S_REV/certs/server.crt --timeout 240"
}

kicker_journal() { # MODE
  if [[ $1 == incident ]]; then
    at 17:50:03.992; T=$REPLY
    sd 'Stopping snap.microk8s.daemon-apiserver-kicker.service - Service for snap application microk8s.daemon-apiserver-kicker...'; adv 100 300
    sd 'snap.microk8s.daemon-apiserver-kicker.service: Deactivated successfully.'
    sd 'Stopped snap.microk8s.daemon-apiserver-kicker.service - Service for snap application microk8s.daemon-apiserver-kicker.'
    jboot "$BOOT_ID"
    at 18:06:25.295; T=$REPLY
  else
    at 10:01:39.905; T=$REPLY
  fi
  unit_started apiserver-kicker; adv 300 800
  jl microk8s.daemon-apiserver-kicker "$AKPID" "Setting up the CNI"
}

# ---------------------------------------------------------------------------------------------
# Kernel ring buffer and the rest of the system journal
# ---------------------------------------------------------------------------------------------

# kernel_msgs -> lines "MICROSECONDS_SINCE_BOOT<TAB>TEXT" for this boot
kernel_msgs() {
  local rel=$KREL
  cat <<EOF
0	Linux version $rel (buildd@lcy02-amd64-039) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0, GNU ld (GNU Binutils for Ubuntu) 2.42) $KNUM SMP PREEMPT_DYNAMIC $KBUILT (Ubuntu $KPKG-generic ${KSHORT%%-*}.12)
0	Command line: BOOT_IMAGE=/vmlinuz-$rel root=/dev/mapper/ubuntu--vg-ubuntu--lv ro
0	KERNEL supported cpus:
0	  Intel GenuineIntel
0	  AMD AuthenticAMD
0	  Hygon HygonGenuine
0	  Centaur CentaurHauls
0	  zhaoxin   Shanghai  
0	BIOS-provided physical RAM map:
0	BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
0	BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
0	BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved
0	BIOS-e820: [mem 0x0000000000100000-0x000000007ffdbfff] usable
0	BIOS-e820: [mem 0x000000007ffdc000-0x000000007fffffff] reserved
0	BIOS-e820: [mem 0x00000000b0000000-0x00000000bfffffff] reserved
0	BIOS-e820: [mem 0x0000000100000000-0x000000027fffffff] usable
0	NX (Execute Disable) protection: active
0	APIC: Static calls initialized
0	SMBIOS 2.8 present.
0	DMI: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.3-debian-1.16.3-2 04/01/2014
0	Hypervisor detected: KVM
0	kvm-clock: Using msrs 4b564d01 and 4b564d00
2	kvm-clock: using sched offset of 5118027736 cycles
7	clocksource: kvm-clock: mask: 0xffffffffffffffff max_cycles: 0x1cd42e4dffb, max_idle_ns: 881590591483 ns
1207	tsc: Detected 2495.310 MHz processor
51204	Kernel command line: BOOT_IMAGE=/vmlinuz-$rel root=/dev/mapper/ubuntu--vg-ubuntu--lv ro
51392	Unknown kernel command line parameters "BOOT_IMAGE=/vmlinuz-$rel", will be passed to user space.
118472	Memory: 7912340K/8388068K available (22528K kernel code, 4424K rwdata, 14336K rodata, 4796K init, 4812K bss, 475468K reserved, 0K cma-reserved)
403118	smpboot: CPU0: Intel Core Processor (Broadwell, IBRS) (family: 0x6, model: 0x3d, stepping: 0x2)
911204	NET: Registered PF_INET6 protocol family
913377	Segment Routing with IPv6
913401	In-situ OAM (IOAM) with IPv6
1402118	EXT4-fs (dm-0): mounted filesystem 6f1c9a2e-3b7d-4e18-a5c0-9d2e7f41b836 ro with ordered data mode. Quota mode: none.
2890417	systemd[1]: Inserted module 'autofs4'
3312905	EXT4-fs (dm-0): re-mounted 6f1c9a2e-3b7d-4e18-a5c0-9d2e7f41b836 r/w. Quota mode: none.
3904412	virtio_net virtio0 enp1s0: renamed from eth0
4402771	loop0: detected capacity change from 0 to 8
4418227	loop1: detected capacity change from 0 to 130592
4431009	loop2: detected capacity change from 0 to 341904
4460553	loop3: detected capacity change from 0 to 344320
4478104	loop4: detected capacity change from 0 to 79520
5118662	audit: type=1400 audit($(( BOOT_MS / 1000 + 5 )).112:2): apparmor="STATUS" operation="profile_load" profile="unconfined" name="snap.microk8s.microk8s" pid=716 comm="apparmor_parser"
5122318	audit: type=1400 audit($(( BOOT_MS / 1000 + 5 )).116:3): apparmor="STATUS" operation="profile_load" profile="unconfined" name="snap.microk8s.daemon-kubelite" pid=718 comm="apparmor_parser"
5130981	audit: type=1400 audit($(( BOOT_MS / 1000 + 5 )).124:4): apparmor="STATUS" operation="profile_load" profile="unconfined" name="snap.microk8s.daemon-containerd" pid=719 comm="apparmor_parser"
$(( KSTART_US + 2120331 ))	bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.
$(( KSTART_US + 2122904 ))	Bridge firewalling registered
$(( KSTART_US + 2981446 ))	Initializing XFRM netlink socket
EOF
}

# Kernel lines, as `dmesg` prints them (relative stamps), up to END.
dmesg_text() { # END
  local l us tx lim=$(( ($1 - BOOT_MS) * 1000 ))
  while IFS= read -r l; do
    us=${l%%$'\t'*}; tx=${l#*$'\t'}
    (( us > lim )) && break
    printf '[%5d.%06d] %s\n' $(( us / 1000000 )) $(( us % 1000000 )) "$tx"
  done < <(kernel_msgs)
}

# Kernel lines as journal entries (keyed).
kernel_journal() {
  local l us tx
  while IFS= read -r l; do
    us=${l%%$'\t'*}; tx=${l#*$'\t'}
    T=$(( BOOT_MS + us / 1000 ))
    jl kernel '' "$tx"
  done < <(kernel_msgs)
}

system_journal() { # MODE END
  local mode=$1
  if [[ $mode == incident ]]; then
    at 17:35:01.482; T=$REPLY
    jl CRON 60412 '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)'
    at 17:39:44.118; T=$REPLY
    jl sshd 60733 'Accepted publickey for ubuntu from 10.20.30.5 port 51822 ssh2: ED25519 SHA256:Xq7d1mY2k3Hc9vR0pT5wL8nB4sF6aJ2eK1uZ7oN3iQc'; adv 5 15
    jl sshd 60733 'pam_unix(sshd:session): session opened for user ubuntu(uid=1000) by ubuntu(uid=0)'; adv 5 15
    jl systemd-logind 812 'New session 14 of user ubuntu.'
    sd 'Started session-14.scope - Session 14 of User ubuntu.'
    at 17:40:21.304; T=$REPLY
    jl sudo 60851 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/usr/bin/apt full-upgrade -y'; adv 1 4
    jl sudo 60851 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
    at 17:41:35.702; T=$REPLY
    sd "Reloading requested from client PID 61320 ('systemctl') (unit session-14.scope)..."
    sd 'Reloading...'; adv 300 340
    sd 'Reloading finished in 318 ms.'
    at 17:42:08.233; T=$REPLY
    jl sudo 60851 'pam_unix(sudo:session): session closed for user root'
    at 17:49:58.771; T=$REPLY
    jl sudo 61902 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/snap/bin/microk8s stop'; adv 1 4
    jl sudo 61902 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
    at 17:50:06.940; T=$REPLY
    jl sudo 61902 'pam_unix(sudo:session): session closed for user root'
    at 17:51:40.105; T=$REPLY
    jl sudo 62077 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/usr/sbin/reboot'; adv 1 4
    jl sudo 62077 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'; adv 20 60
    jl systemd-logind 812 'The system will reboot now!'
    jl systemd-logind 812 'System is rebooting.'; adv 10 40
    sd 'Removed slice system-modprobe.slice - Slice /system/modprobe.'
    sd 'Stopping snapd.service - Snap Daemon...'
    sd 'Stopping ssh.service - OpenBSD Secure Shell server...'
    sd 'Stopping systemd-timesyncd.service - Network Time Synchronization...'; adv 100 300
    jl snapd 1041 'main.go:162: Exiting on terminated signal.'; adv 200 500
    sd 'Stopped snapd.service - Snap Daemon.'
    sd 'Stopped ssh.service - OpenBSD Secure Shell server.'
    sd 'Stopped systemd-timesyncd.service - Network Time Synchronization.'; adv 400 900
    sd 'Reached target shutdown.target - System Shutdown.'
    sd 'Reached target final.target - Late Shutdown Services.'
    sd 'Finished systemd-reboot.service - System Reboot.'
    sd 'Reached target reboot.target - System Reboot.'
    sd 'Shutting down.'
    jl systemd-shutdown 1 'Syncing filesystems and block devices.'
    jl systemd-shutdown 1 'Sending SIGTERM to remaining processes...'
    T=$(( BOOT_MS - 1 )); jboot "$BOOT_ID"
  else
    T=$(( BOOT_MS - 1 )); jboot "$BOOT_ID"
  fi
  kernel_journal
  T=$(( BOOT_MS + 2890 ))
  sd 'systemd 255.4-1ubuntu8.6 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)'
  sd 'Detected virtualization kvm.'
  sd 'Detected architecture x86-64.'
  sd "Hostname set to <$NODE>."; adv 300 600
  sd 'Queued start job for default target graphical.target.'; adv 400 900
  sd "Mounting snap-core20-2571.mount - Mount unit for core20, revision 2571..."
  sd "Mounting snap-microk8s-$MK8S_OLDREV.mount - Mount unit for microk8s, revision $MK8S_OLDREV..."
  sd "Mounting snap-microk8s-$MK8S_REV.mount - Mount unit for microk8s, revision $MK8S_REV..."
  sd 'Mounting snap-snapd-24505.mount - Mount unit for snapd, revision 24505...'; adv 50 150
  sd "Mounted snap-core20-2571.mount - Mount unit for core20, revision 2571."
  sd "Mounted snap-microk8s-$MK8S_OLDREV.mount - Mount unit for microk8s, revision $MK8S_OLDREV."
  sd "Mounted snap-microk8s-$MK8S_REV.mount - Mount unit for microk8s, revision $MK8S_REV."
  sd 'Mounted snap-snapd-24505.mount - Mount unit for snapd, revision 24505.'; adv 600 1100
  jl systemd-networkd 588 "$IFACE: Link UP"
  jl systemd-networkd 588 "$IFACE: Gained carrier"; adv 900 1500
  jl systemd-networkd 588 "$IFACE: Gained IPv6LL"; adv 1500 2500
  jl snapd 905 'overlord.go:271: Acquiring state lock file'
  jl snapd 905 'overlord.go:276: Acquired state lock file'; adv 100 300
  jl snapd 905 "daemon.go:250: started snapd/2.68.4+ubuntu24.04 (series 16; classic) ubuntu/24.04 (amd64) linux/$KREL."; adv 50 150
  jl snapd 905 'daemon.go:353: adjusting startup timeout by 1m25s (pessimistic estimate of 30s plus 5s per snap)'; adv 400 900
  sd 'Started snapd.service - Snap Daemon.'
  jl sshd 1002 'Server listening on 0.0.0.0 port 22.'
  jl sshd 1002 'Server listening on :: port 22.'; adv 300 900
  sd 'Reached target multi-user.target - Multi-User System.'
  sd 'Reached target graphical.target - Graphical Interface.'
  sd "Startup finished in 2.184s (kernel) + 16.937s (userspace) = 19.121s."
  if [[ $mode == incident ]]; then
    at 17:55:12.660; T=$REPLY
    jl sshd 1733 'Accepted publickey for ubuntu from 10.20.30.5 port 52104 ssh2: ED25519 SHA256:Xq7d1mY2k3Hc9vR0pT5wL8nB4sF6aJ2eK1uZ7oN3iQc'
    jl systemd-logind 796 'New session 1 of user ubuntu.'
    at 18:06:23.880; T=$REPLY
    jl sudo 2071 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/snap/bin/microk8s start'; adv 1 4
    jl sudo 2071 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
    at 18:06:28.402; T=$REPLY
    jl sudo 2071 'pam_unix(sudo:session): session closed for user root'
    at 18:15:01.332; T=$REPLY
    jl CRON 5713 '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)'
    at 18:24:51.027; T=$REPLY
    jl sudo 9812 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/snap/bin/microk8s inspect'; adv 1 4
    jl sudo 9812 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
    at 18:25:12.611; T=$REPLY
    jl sudo 9812 'pam_unix(sudo:session): session closed for user root'
    at 18:27:31.090; T=$REPLY
    jl sudo 10340 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/usr/bin/sos report --batch -k kubernetes.podlogs=on'; adv 1 4
    jl sudo 10340 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
  else
    at 10:09:44.120; T=$REPLY
    jl sshd 2741 'Accepted publickey for ubuntu from 10.20.30.5 port 40218 ssh2: ED25519 SHA256:Xq7d1mY2k3Hc9vR0pT5wL8nB4sF6aJ2eK1uZ7oN3iQc'
    jl systemd-logind 801 'New session 1 of user ubuntu.'
    at 10:14:40.212; T=$REPLY
    jl sudo 4410 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/snap/bin/microk8s inspect'; adv 1 4
    jl sudo 4410 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
    at 10:15:00.208; T=$REPLY
    jl sudo 4410 'pam_unix(sudo:session): session closed for user root'
    at 10:16:48.551; T=$REPLY
    jl sudo 4702 '  ubuntu : TTY=pts/0 ; PWD=/home/ubuntu ; USER=root ; COMMAND=/usr/bin/sos report --batch -k kubernetes.podlogs=on'; adv 1 4
    jl sudo 4702 'pam_unix(sudo:session): session opened for user root(uid=0) by ubuntu(uid=1000)'
  fi
}

# journal short text -> rsyslog (Ubuntu 24.04: RFC 3339 high-precision stamps); boot separators dropped
to_syslog() { # YEAR
  awk -v Y="$1" 'BEGIN { n = split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= n; i++) mon[m[i]] = sprintf("%02d", i) }
    /^-- Boot / { next }
    { gsub(/\t/, "#011") }
    { ts = substr($0, 1, 15)
      if (ts == last) { us += 23 + (NR * 131) % 400; if (us > 999999) us = 999999 } else { us = (NR * 7919) % 600000; last = ts }
      printf "%s-%s-%02dT%s.%06d+00:00%s\n", Y, mon[$1], $2, $3, us, substr($0, 16) }'
}

# ---------------------------------------------------------------------------------------------
# Static files: args/, the Calico manifest, sys/, network/, k8s/, bom.json
# ---------------------------------------------------------------------------------------------

w() { mkdir -p "$(dirname "$1")"; cat > "$1"; }

write_args() { # DIR (the args/ directory)
  local d=$1
  w "$d/kubelet" <<'EOF'
--kubeconfig=${SNAP_DATA}/credentials/kubelet.config
--cert-dir=${SNAP_DATA}/certs
--client-ca-file=${SNAP_DATA}/certs/ca.crt
--anonymous-auth=false
--root-dir=${SNAP_COMMON}/var/lib/kubelet
--fail-swap-on=false
--eviction-hard="memory.available<100Mi,nodefs.available<1Gi,imagefs.available<1Gi"
--container-runtime-endpoint=${SNAP_COMMON}/run/containerd.sock
--containerd=${SNAP_COMMON}/run/containerd.sock
--node-labels="microk8s.io/cluster=true,node.kubernetes.io/microk8s-controlplane=microk8s-controlplane"
--authentication-token-webhook=true
--read-only-port=0
--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256
--serialize-image-pulls=false
--cluster-domain=cluster.local
--cluster-dns=10.152.183.10
EOF
  w "$d/kubelite" <<'EOF'
--scheduler-args-file=$SNAP_DATA/args/kube-scheduler
--controller-manager-args-file=$SNAP_DATA/args/kube-controller-manager
--proxy-args-file=$SNAP_DATA/args/kube-proxy
--kubelet-args-file=$SNAP_DATA/args/kubelet
--apiserver-args-file=$SNAP_DATA/args/kube-apiserver
--kubeconfig-file=$SNAP_DATA/credentials/client.config
--start-control-plane=true
EOF
  w "$d/kube-apiserver" <<EOF
--cert-dir=\${SNAP_DATA}/certs
--service-cluster-ip-range=$SVC_CIDR4,$SVC_CIDR6
--authorization-mode=RBAC,Node
--service-account-key-file=\${SNAP_DATA}/certs/serviceaccount.key
--client-ca-file=\${SNAP_DATA}/certs/ca.crt
--tls-cert-file=\${SNAP_DATA}/certs/server.crt
--tls-private-key-file=\${SNAP_DATA}/certs/server.key
--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256
--kubelet-client-certificate=\${SNAP_DATA}/certs/apiserver-kubelet-client.crt
--kubelet-client-key=\${SNAP_DATA}/certs/apiserver-kubelet-client.key
--secure-port=16443
--etcd-servers=unix://\${SNAP_DATA}/var/kubernetes/backend/kine.sock:12379
--allow-privileged=true
--service-account-issuer='https://kubernetes.default.svc'
--service-account-signing-key-file=\${SNAP_DATA}/certs/serviceaccount.key
--event-ttl=5m
--profiling=false

# Enable the aggregation layer
--requestheader-client-ca-file=\${SNAP_DATA}/certs/front-proxy-ca.crt
--requestheader-allowed-names=front-proxy-client
--requestheader-extra-headers-prefix=X-Remote-Extra-
--requestheader-group-headers=X-Remote-Group
--requestheader-username-headers=X-Remote-User
--proxy-client-cert-file=\${SNAP_DATA}/certs/front-proxy-client.crt
--proxy-client-key-file=\${SNAP_DATA}/certs/front-proxy-client.key
#~Enable the aggregation layer
--enable-admission-plugins=EventRateLimit
--admission-control-config-file=\${SNAP_DATA}/args/admission-control-config-file.yaml
--kubelet-preferred-address-types=InternalIP,Hostname,InternalDNS,ExternalDNS,ExternalIP
EOF
  w "$d/kube-proxy" <<EOF
--kubeconfig=\${SNAP_DATA}/credentials/proxy.config
--cluster-cidr=$POD_CIDR4,$POD_CIDR6
--healthz-bind-address=127.0.0.1
--profiling=false
EOF
  w "$d/kube-scheduler" <<'EOF'
--kubeconfig=${SNAP_DATA}/credentials/scheduler.config
--leader-elect-lease-duration=60s
--leader-elect-renew-deadline=30s
--profiling=false
EOF
  w "$d/kube-controller-manager" <<EOF
--kubeconfig=\${SNAP_DATA}/credentials/controller.config
--service-account-private-key-file=\${SNAP_DATA}/certs/serviceaccount.key
--root-ca-file=\${SNAP_DATA}/certs/ca.crt
--cluster-signing-cert-file=\${SNAP_DATA}/certs/ca.crt
--cluster-signing-key-file=\${SNAP_DATA}/certs/ca.key
--use-service-account-credentials
--leader-elect-lease-duration=60s
--leader-elect-renew-deadline=30s
--profiling=false
--service-cluster-ip-range=$SVC_CIDR4,$SVC_CIDR6
--cluster-cidr=$POD_CIDR4,$POD_CIDR6
EOF
  w "$d/containerd" <<'EOF'
--config ${SNAP_DATA}/args/containerd.toml
--root ${SNAP_COMMON}/var/lib/containerd
--state ${SNAP_COMMON}/run/containerd
--address ${SNAP_COMMON}/run/containerd.sock
EOF
  w "$d/containerd-env" <<'EOF'
# To start containerd behind a proxy you need to add an HTTPS_PROXY
# environment variable in this file. HTTPS_PROXY is of the following form:
# HTTPS_PROXY=http://username:password@proxy:port/
# where username and password are optional.
#
# Remember to restart containerd after editing this file.
# Note: NO_PROXY should contain the cluster-cidr and services-cidr
# defined in $SNAP_DATA/args/kube-proxy and $SNAP_DATA/args/kube-apiserver.
# NO_PROXY=10.0.0.0/8,192.168.0.0/16,127.0.0.1,172.16.0.0/16,.svc,localhost
#
# HTTPS_PROXY=http://squid.internal:3128
# NO_PROXY=10.0.0.0/8,192.168.0.0/16,127.0.0.1,172.16.0.0/16,.svc,localhost

ulimit -n 65536 || true
ulimit -l 16384 || true
EOF
  w "$d/cni-env" <<EOF
IPv4_SUPPORT=true
IPv4_CLUSTER_CIDR=$POD_CIDR4
IPv4_SERVICE_CIDR=$SVC_CIDR4

IPv6_SUPPORT=true
IPv6_CLUSTER_CIDR=$POD_CIDR6
IPv6_SERVICE_CIDR=$SVC_CIDR6
EOF
  w "$d/k8s-dqlite" <<'EOF'
--storage-dir=${SNAP_DATA}/var/kubernetes/backend/
--listen=unix://${SNAP_DATA}/var/kubernetes/backend/kine.sock:12379
EOF
  w "$d/k8s-dqlite-env" <<'EOF'
# Configuration for k8s-dqlite. Uncomment and restart k8s-dqlite to apply.

#DQLITE_BUSY_TIMEOUT=30000
#K8S_DQLITE_WATCH_PROGRESS_NOTIFY_INTERVAL=5s
EOF
  w "$d/cluster-agent" <<'EOF'
--bind 0.0.0.0:25000
--keyfile "${SNAP_DATA}/certs/server.key"
--certfile "${SNAP_DATA}/certs/server.crt"
--timeout 240
EOF
  w "$d/kubectl" <<'EOF'
--kubeconfig=${SNAP_DATA}/credentials/client.config
EOF
  w "$d/kubectl-env" <<'EOF'
# Environment variables for the kubectl command
EOF
  w "$d/ha-conf" <<'EOF'
# Set the failure domain of this node
failure-domain=1
EOF
  w "$d/admission-control-config-file.yaml" <<'EOF'
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: EventRateLimit
    path: eventconfig.yaml
EOF
  w "$d/eventconfig.yaml" <<'EOF'
apiVersion: eventratelimit.admission.k8s.io/v1alpha1
kind: Configuration
limits:
  - type: Server
    qps: 5000
    burst: 20000
EOF
  w "$d/certs.d/docker.io/hosts.toml" <<'EOF'
server = "https://docker.io"

[host."https://registry-1.docker.io"]
  capabilities = ["pull", "resolve"]
EOF
  w "$d/certs.d/localhost:32000/hosts.toml" <<'EOF'
server = "http://localhost:32000"

[host."http://localhost:32000"]
capabilities = ["pull", "resolve"]
EOF
  w "$d/cni-network/10-calico.conflist" <<EOF
{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "kubernetes",
      "nodename": "$NODE",
      "mtu": 0,
      "ipam": {
          "assign_ipv4": "true",
          "assign_ipv6": "true",
          "type": "calico-ipam"
      },
      "policy": {
          "type": "k8s"
      },
      "kubernetes": {
          "kubeconfig": "/var/snap/microk8s/current/args/cni-network/calico-kubeconfig"
      }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    },
    {
      "type": "bandwidth",
      "capabilities": {"bandwidth": true}
    }
  ]
}
EOF
  w "$d/cni-network/flannel.conflist" <<'EOF'
{
    "name": "microk8s-flannel-network",
    "cniVersion": "0.3.1",
    "plugins": [
      {
        "type": "flannel",
        "delegate": {
          "hairpinMode": true,
          "isDefaultGateway": true
        }
      },
      {
        "type": "portmap",
        "capabilities": {"portMappings": true},
        "snat": true
      }
    ]
}
EOF
  write_cni_yaml > "$d/cni-network/cni.yaml"
}

# The Calico v3.29.3 manifest MicroK8s generates (scripts/generate-cni.sh) for IPv6_SUPPORT=true.
# Trimmed: the CustomResourceDefinitions (kdd-crds.yaml, ~200 KiB) are left out.
write_cni_yaml() {
  cat <<'EOF'
---
# Source: calico/templates/calico-kube-controllers.yaml
# This manifest creates a Pod Disruption Budget for Controller to allow K8s Cluster Autoscaler to evict

apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: calico-kube-controllers
  namespace: kube-system
  labels:
    k8s-app: calico-kube-controllers
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      k8s-app: calico-kube-controllers
---
# Source: calico/templates/calico-kube-controllers.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: calico-kube-controllers
  namespace: kube-system
---
# Source: calico/templates/calico-node.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: calico-node
  namespace: kube-system
---
# Source: calico/templates/calico-node.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: calico-cni-plugin
  namespace: kube-system
---
# Source: calico/templates/calico-config.yaml
# This ConfigMap is used to configure a self-hosted Calico installation.
kind: ConfigMap
apiVersion: v1
metadata:
  name: calico-config
  namespace: kube-system
data:
  # Typha is disabled.
  typha_service_name: "none"
  # Configure the backend to use.
  calico_backend: "vxlan"

  # Configure the MTU to use for workload interfaces and tunnels.
  # By default, MTU is auto-detected, and explicitly setting this field should not be required.
  # You can override auto-detection by providing a non-zero value.
  veth_mtu: "0"

  # The CNI network configuration to install on each node. The special
  # values in this config will be automatically populated.
  cni_network_config: |-
    {
      "name": "k8s-pod-network",
      "cniVersion": "0.3.1",
      "plugins": [
        {
          "type": "calico",
          "log_level": "info",
          "log_file_path": "/var/log/calico/cni/cni.log",
          "datastore_type": "kubernetes",
          "nodename": "__KUBERNETES_NODE_NAME__",
          "mtu": __CNI_MTU__,
          "ipam": {
              "assign_ipv4": "true",
              "assign_ipv6": "true",
              "type": "calico-ipam"
          },
          "policy": {
              "type": "k8s"
          },
          "kubernetes": {
              "kubeconfig": "__KUBECONFIG_FILEPATH__"
          }
        },
        {
          "type": "portmap",
          "snat": true,
          "capabilities": {"portMappings": true}
        },
        {
          "type": "bandwidth",
          "capabilities": {"bandwidth": true}
        }
      ]
    }
---
# Source: calico/templates/kdd-crds.yaml
# (CustomResourceDefinitions omitted from this copy)
---
# Source: calico/templates/calico-kube-controllers-rbac.yaml
# Include a clusterrole for the kube-controllers component,
# and bind it to the calico-kube-controllers serviceaccount.
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: calico-kube-controllers
rules:
  # Nodes are watched to monitor for deletions.
  - apiGroups: [""]
    resources:
      - nodes
    verbs:
      - watch
      - list
      - get
  # Pods are watched to check for existence as part of IPAM controller.
  - apiGroups: [""]
    resources:
      - pods
    verbs:
      - get
      - list
      - watch
  # IPAM resources are manipulated in response to node and block updates, as well as periodic triggers.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - ipreservations
    verbs:
      - list
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - blockaffinities
      - ipamblocks
      - ipamhandles
      - tiers
    verbs:
      - get
      - list
      - create
      - update
      - delete
      - watch
  # Pools are watched to maintain a mapping of blocks to IP pools.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - ippools
    verbs:
      - list
      - watch
  # kube-controllers manages hostendpoints.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - hostendpoints
    verbs:
      - get
      - list
      - create
      - update
      - delete
  # Needs access to update clusterinformations.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - clusterinformations
    verbs:
      - get
      - list
      - create
      - update
      - watch
  # KubeControllersConfiguration is where it gets its config
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - kubecontrollersconfigurations
    verbs:
      # read its own config
      - get
      # create a default if none exists
      - create
      # update status
      - update
      # watch for changes
      - watch
---
# Source: calico/templates/calico-node-rbac.yaml
# Include a clusterrole for the calico-node DaemonSet,
# and bind it to the calico-node serviceaccount.
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: calico-node
rules:
  # Used for creating service account tokens to be used by the CNI plugin
  - apiGroups: [""]
    resources:
      - serviceaccounts/token
    resourceNames:
      - calico-cni-plugin
    verbs:
      - create
  # The CNI plugin needs to get pods, nodes, and namespaces.
  - apiGroups: [""]
    resources:
      - pods
      - nodes
      - namespaces
    verbs:
      - get
  # EndpointSlices are used for Service-based network policy rule
  # enforcement.
  - apiGroups: ["discovery.k8s.io"]
    resources:
      - endpointslices
    verbs:
      - watch
      - list
  - apiGroups: [""]
    resources:
      - endpoints
      - services
    verbs:
      # Used to discover service IPs for advertisement.
      - watch
      - list
      # Used to discover Typhas.
      - get
  # Pod CIDR auto-detection on kubeadm needs access to config maps.
  - apiGroups: [""]
    resources:
      - configmaps
    verbs:
      - get
  - apiGroups: [""]
    resources:
      - nodes/status
    verbs:
      # Needed for clearing NodeNetworkUnavailable flag.
      - patch
      # Calico stores some configuration information in node annotations.
      - update
  # Watch for changes to Kubernetes NetworkPolicies.
  - apiGroups: ["networking.k8s.io"]
    resources:
      - networkpolicies
    verbs:
      - watch
      - list
  # Used by Calico for policy information.
  - apiGroups: [""]
    resources:
      - pods
      - namespaces
      - serviceaccounts
    verbs:
      - list
      - watch
  # The CNI plugin patches pods/status.
  - apiGroups: [""]
    resources:
      - pods/status
    verbs:
      - patch
  # Calico monitors various CRDs for config.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - globalfelixconfigs
      - felixconfigurations
      - bgppeers
      - bgpfilters
      - globalbgpconfigs
      - bgpconfigurations
      - ippools
      - ipreservations
      - ipamblocks
      - globalnetworkpolicies
      - globalnetworksets
      - networkpolicies
      - networksets
      - clusterinformations
      - hostendpoints
      - blockaffinities
      - caliconodestatuses
      - tiers
    verbs:
      - get
      - list
      - watch
  # Calico must create and update some CRDs on startup.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - ippools
      - felixconfigurations
      - clusterinformations
    verbs:
      - create
      - update
  # Calico must update some CRDs.
  - apiGroups: [ "crd.projectcalico.org" ]
    resources:
      - caliconodestatuses
    verbs:
      - update
  # Calico stores some configuration information on the node.
  - apiGroups: [""]
    resources:
      - nodes
    verbs:
      - get
      - list
      - watch
  # These permissions are only required for upgrade from v2.6, and can
  # be removed after upgrade or on fresh installations.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - bgpconfigurations
      - bgppeers
    verbs:
      - create
      - update
  # These permissions are required for Calico CNI to perform IPAM allocations.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - blockaffinities
      - ipamblocks
      - ipamhandles
    verbs:
      - get
      - list
      - create
      - update
      - delete
  # The CNI plugin and calico/node need to be able to create a default
  # IPAMConfiguration
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - ipamconfigs
    verbs:
      - get
      - create
  # Block affinities must also be watchable by confd for route aggregation.
  - apiGroups: ["crd.projectcalico.org"]
    resources:
      - blockaffinities
    verbs:
      - watch
  # The Calico IPAM migration needs to get daemonsets. These permissions can be
  # removed if not upgrading from an installation using host-local IPAM.
  - apiGroups: ["apps"]
    resources:
      - daemonsets
    verbs:
      - get
---
# Source: calico/templates/calico-kube-controllers-rbac.yaml
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: calico-kube-controllers
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: calico-kube-controllers
subjects:
- kind: ServiceAccount
  name: calico-kube-controllers
  namespace: kube-system
---
# Source: calico/templates/calico-node-rbac.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: calico-node
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: calico-node
subjects:
- kind: ServiceAccount
  name: calico-node
  namespace: kube-system
---
# Source: calico/templates/calico-node.yaml
# This manifest installs the calico-node container, as well
# as the CNI plugins and network config on
# each master and worker node in a Kubernetes cluster.
kind: DaemonSet
apiVersion: apps/v1
metadata:
  name: calico-node
  namespace: kube-system
  labels:
    k8s-app: calico-node
spec:
  selector:
    matchLabels:
      k8s-app: calico-node
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    metadata:
      labels:
        k8s-app: calico-node
    spec:
      nodeSelector:
        kubernetes.io/os: linux
      hostNetwork: true
      tolerations:
        # Make sure calico-node gets scheduled on all nodes.
        - effect: NoSchedule
          operator: Exists
        # Mark the pod as a critical add-on for rescheduling.
        - key: CriticalAddonsOnly
          operator: Exists
        - effect: NoExecute
          operator: Exists
      serviceAccountName: calico-node
      # Minimize downtime during a rolling upgrade or deletion; tell Kubernetes to do a "force
      # deletion": https://kubernetes.io/docs/concepts/workloads/pods/pod/#termination-of-pods.
      terminationGracePeriodSeconds: 0
      priorityClassName: system-node-critical
      initContainers:
        # This container performs upgrade from host-local IPAM to calico-ipam.
        # It can be deleted if this is a fresh installation, or if you have already
        # upgraded to use calico-ipam.
        - name: upgrade-ipam
          image: docker.io/calico/cni:v3.29.3
          imagePullPolicy: IfNotPresent
          command: ["/opt/cni/bin/calico-ipam", "-upgrade"]
          envFrom:
          - configMapRef:
              # Allow KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT to be overridden for eBPF mode.
              name: kubernetes-services-endpoint
              optional: true
          env:
            - name: KUBERNETES_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            - name: CALICO_NETWORKING_BACKEND
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: calico_backend
          volumeMounts:
            - mountPath: /var/lib/cni/networks
              name: host-local-net-dir
            - mountPath: /host/opt/cni/bin
              name: cni-bin-dir
          securityContext:
            privileged: true
        # This container installs the CNI binaries
        # and CNI network config file on each node.
        - name: install-cni
          image: docker.io/calico/cni:v3.29.3
          imagePullPolicy: IfNotPresent
          command: ["/opt/cni/bin/install"]
          envFrom:
          - configMapRef:
              # Allow KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT to be overridden for eBPF mode.
              name: kubernetes-services-endpoint
              optional: true
          env:
            # Name of the CNI config file to create.
            - name: CNI_CONF_NAME
              value: "10-calico.conflist"
            # The CNI network config to install on each node.
            - name: CNI_NETWORK_CONFIG
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: cni_network_config
            # Set the hostname based on the k8s node name.
            - name: KUBERNETES_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            # CNI MTU Config variable
            - name: CNI_MTU
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: veth_mtu
            # Prevents the container from sleeping forever.
            - name: SLEEP
              value: "false"
            - name: CNI_NET_DIR
              value: "/var/snap/microk8s/current/args/cni-network"
          volumeMounts:
            - mountPath: /host/opt/cni/bin
              name: cni-bin-dir
            - mountPath: /host/etc/cni/net.d
              name: cni-net-dir
          securityContext:
            privileged: true
      containers:
        # Runs calico-node container on each Kubernetes node. This
        # container programs network policy and routes on each
        # host.
        - name: calico-node
          image: docker.io/calico/node:v3.29.3
          imagePullPolicy: IfNotPresent
          envFrom:
          - configMapRef:
              # Allow KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT to be overridden for eBPF mode.
              name: kubernetes-services-endpoint
              optional: true
          env:
            # Use Kubernetes API as the backing datastore.
            - name: DATASTORE_TYPE
              value: "kubernetes"
            # Wait for the datastore.
            - name: WAIT_FOR_DATASTORE
              value: "true"
            # Set based on the k8s node name.
            - name: NODENAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            # Choose the backend to use.
            - name: CALICO_NETWORKING_BACKEND
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: calico_backend
            # Cluster type to identify the deployment type
            - name: CLUSTER_TYPE
              value: "k8s,bgp"
            # Auto-detect the BGP IP address.
            - name: IP
              value: "autodetect"
            - name: IP_AUTODETECTION_METHOD
              value: "first-found"
            # Enable IPIP
            #- name: CALICO_IPV4POOL_IPIP
            #  value: "Always"
            # Enable or Disable VXLAN on the default IP pool.
            - name: CALICO_IPV4POOL_VXLAN
              value: "Always"
            # Enable or Disable VXLAN on the default IPv6 IP pool.
            - name: IP6_AUTODETECTION_METHOD
              value: "first-found"
            - name: CALICO_IPV6POOL_CIDR
              value: fd01::/64
            - name: IP6
              value: "autodetect"
            - name: CALICO_IPV6POOL_VXLAN
              value: "Always"
            # Set MTU for tunnel device used if ipip is enabled
            - name: FELIX_IPINIPMTU
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: veth_mtu
            # Set MTU for the VXLAN tunnel device.
            - name: FELIX_VXLANMTU
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: veth_mtu
            # Set MTU for the Wireguard tunnel device.
            - name: FELIX_WIREGUARDMTU
              valueFrom:
                configMapKeyRef:
                  name: calico-config
                  key: veth_mtu
            # The default IPv4 pool to create on startup if none exists. Pod IPs will be
            # chosen from this range. Changing this value after installation will have
            # no effect. This should fall within `--cluster-cidr`.
            - name: CALICO_IPV4POOL_CIDR
              value: "10.1.0.0/16"
            # Disable file logging so `kubectl logs` works.
            - name: CALICO_DISABLE_FILE_LOGGING
              value: "true"
            # Set Felix endpoint to host default action to ACCEPT.
            - name: FELIX_DEFAULTENDPOINTTOHOSTACTION
              value: "ACCEPT"
            # Disable IPv6 on Kubernetes.
            - name: FELIX_IPV6SUPPORT
              value: "true"
            - name: FELIX_HEALTHENABLED
              value: "true"
            - name: FELIX_FEATUREDETECTOVERRIDE
              value: ChecksumOffloadBroken=true
          securityContext:
            privileged: true
          resources:
            requests:
              cpu: 250m
          lifecycle:
            preStop:
              exec:
                command:
                - /bin/calico-node
                - -shutdown
          livenessProbe:
            exec:
              command:
              - /bin/calico-node
              - -felix-live
              # - -bird-live
            periodSeconds: 10
            initialDelaySeconds: 10
            failureThreshold: 6
            timeoutSeconds: 10
          readinessProbe:
            exec:
              command:
              - /bin/calico-node
              - -felix-ready
              # - -bird-ready
            periodSeconds: 10
            timeoutSeconds: 10
          volumeMounts:
            # For maintaining CNI plugin API credentials.
            - mountPath: /host/etc/cni/net.d
              name: cni-net-dir
              readOnly: false
            - mountPath: /lib/modules
              name: lib-modules
              readOnly: true
            - mountPath: /run/xtables.lock
              name: xtables-lock
              readOnly: false
            - mountPath: /var/run/calico
              name: var-run-calico
              readOnly: false
            - mountPath: /var/lib/calico
              name: var-lib-calico
              readOnly: false
            - name: policysync
              mountPath: /var/run/nodeagent
            # For eBPF mode, we need to be able to mount the BPF filesystem at /sys/fs/bpf so we mount in the
            # parent directory.
            - name: bpffs
              mountPath: /sys/fs/bpf
            - name: cni-log-dir
              mountPath: /var/log/calico/cni
              readOnly: true
      volumes:
        # Used by calico-node.
        - name: lib-modules
          hostPath:
            path: /lib/modules
        - name: var-run-calico
          hostPath:
            path: /var/snap/microk8s/current/var/run/calico
            type: DirectoryOrCreate
        - name: var-lib-calico
          hostPath:
            path: /var/snap/microk8s/current/var/lib/calico
            type: DirectoryOrCreate
        - name: xtables-lock
          hostPath:
            path: /run/xtables.lock
            type: FileOrCreate
        - name: sys-fs
          hostPath:
            path: /sys/fs/
            type: DirectoryOrCreate
        - name: bpffs
          hostPath:
            path: /sys/fs/bpf
            type: Directory
        # Used to install CNI.
        - name: cni-bin-dir
          hostPath:
            path: /var/snap/microk8s/current/opt/cni/bin
            type: DirectoryOrCreate
        - name: cni-net-dir
          hostPath:
            path: /var/snap/microk8s/current/args/cni-network
        # Used to access CNI logs.
        - name: cni-log-dir
          hostPath:
            path: /var/snap/microk8s/common/var/log/calico/cni
        # Mount in the directory for host-local IPAM allocations. This is
        # used when upgrading from host-local to calico-ipam, and can be removed
        # if not using the upgrade-ipam init container.
        - name: host-local-net-dir
          hostPath:
            path: /var/snap/microk8s/current/var/lib/cni/networks
        # Used to create per-pod Unix Domain Sockets
        - name: policysync
          hostPath:
            type: DirectoryOrCreate
            path: /var/snap/microk8s/current/var/run/nodeagent
---
# Source: calico/templates/calico-kube-controllers.yaml
# See https://github.com/projectcalico/kube-controllers
apiVersion: apps/v1
kind: Deployment
metadata:
  name: calico-kube-controllers
  namespace: kube-system
  labels:
    k8s-app: calico-kube-controllers
spec:
  # The controllers can only have a single active instance.
  replicas: 1
  selector:
    matchLabels:
      k8s-app: calico-kube-controllers
  strategy:
    type: Recreate
  template:
    metadata:
      name: calico-kube-controllers
      namespace: kube-system
      labels:
        k8s-app: calico-kube-controllers
    spec:
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
        # Mark the pod as a critical add-on for rescheduling.
        - key: CriticalAddonsOnly
          operator: Exists
        - key: node-role.kubernetes.io/master
          effect: NoSchedule
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
      serviceAccountName: calico-kube-controllers
      priorityClassName: system-cluster-critical
      containers:
        - name: calico-kube-controllers
          image: docker.io/calico/kube-controllers:v3.29.3
          imagePullPolicy: IfNotPresent
          env:
            # Choose which controllers to run.
            - name: ENABLED_CONTROLLERS
              value: node
            - name: DATASTORE_TYPE
              value: kubernetes
          livenessProbe:
            exec:
              command:
              - /usr/bin/check-status
              - -l
            periodSeconds: 10
            initialDelaySeconds: 10
            failureThreshold: 6
            timeoutSeconds: 10
          readinessProbe:
            exec:
              command:
              - /usr/bin/check-status
              - -r
            periodSeconds: 10
EOF
}

# ---------------------------------------------------------------------------------------------
# Kubernetes views (kubectl output at collection time NOW)
# ---------------------------------------------------------------------------------------------

iso() { printf -v REPLY '%(%Y-%m-%dT%H:%M:%SZ)T' $(( $1 / 1000 )); }
# kubectl's short age: 47m, 2m, 98d, 5m38s
age() {
  local s=$(( ($NOW - $1) / 1000 ))
  if (( s < 120 )); then REPLY="${s}s"
  elif (( s < 600 )); then if (( s % 60 )); then REPLY="$(( s / 60 ))m$(( s % 60 ))s"; else REPLY="$(( s / 60 ))m"; fi
  elif (( s < 10800 )); then REPLY="$(( s / 60 ))m"
  elif (( s < 172800 )); then REPLY="$(( s / 3600 ))h"
  else REPLY="$(( s / 86400 ))d"; fi
}
epoch_of() { REPLY=$(( $(date -u -d "$1" +%s) * 1000 )); }

# Scenario state at collection time: CN_STATE running|crashloop, restart counts, start times.
scenario() {
  epoch_of "$NODE_CREATED"; NODE_CREATED_MS=$REPLY
  epoch_of "$CN_CREATED"; CN_CREATED_MS=$REPLY
  if [[ $NODE == node1 ]]; then
    WEB_CREATED=2025-05-14T11:20:31Z; CN_RESTARTS=14; DNS_RESTARTS=3; KC_RESTARTS=3; WEB_RESTARTS=2
    at 18:06:45.000; PODS_STARTED_MS=$REPLY
  else
    WEB_CREATED=2025-05-20T15:02:12Z; CN_RESTARTS=4; DNS_RESTARTS=2; KC_RESTARTS=2; WEB_RESTARTS=1
    at 10:01:55.000; PODS_STARTED_MS=$REPLY
  fi
  epoch_of "$WEB_CREATED"; WEB_CREATED_MS=$REPLY
  if [[ $CN_STATE == crashloop ]]; then iso $(( CN_STARTS[-1] + 1800 )); else iso $(( PODS_STARTED_MS + 3000 )); fi
  CN_NETUP=$REPLY
}

get_all() {
  local a_cn a_dns a_kc a_web a_node r_cn r_pods st_cn ready_cn ds_ready
  age "$CN_CREATED_MS"; a_cn=$REPLY
  age "$NODE_CREATED_MS"; a_node=$REPLY
  age "$WEB_CREATED_MS"; a_web=$REPLY
  age "$PODS_STARTED_MS"; r_pods="($REPLY ago)"
  if [[ $CN_STATE == crashloop ]]; then
    age "${CN_STARTS[-1]}"; r_cn="$CN_RESTARTS ($REPLY ago)"; st_cn=CrashLoopBackOff; ready_cn=0/1; ds_ready=0
  else
    r_cn="$CN_RESTARTS $r_pods"; st_cn=Running; ready_cn=1/1; ds_ready=1
  fi
  printf '%-13s %-46s %-7s %-18s %-14s %-6s %-14s %-6s %-16s %s\n' \
    NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE 'NOMINATED NODE' 'READINESS GATES' \
    default "pod/${WEB_PODS[0]}" 1/1 Running "$WEB_RESTARTS $r_pods" "$a_web" "${WEB_IP4[0]}" "$NODE" '<none>' '<none>' \
    default "pod/${WEB_PODS[1]}" 1/1 Running "$WEB_RESTARTS $r_pods" "$a_web" "${WEB_IP4[1]}" "$NODE" '<none>' '<none>' \
    kube-system "pod/$KC_POD" 1/1 Running "$KC_RESTARTS $r_pods" "$a_node" "$KC_IP4" "$NODE" '<none>' '<none>' \
    kube-system "pod/$CN_POD" "$ready_cn" "$st_cn" "$r_cn" "$a_cn" "$IP4" "$NODE" '<none>' '<none>' \
    kube-system "pod/$DNS_POD" 1/1 Running "$DNS_RESTARTS $r_pods" "$a_node" "$DNS_IP4" "$NODE" '<none>' '<none>'
  echo
  printf '%-13s %-20s %-11s %-16s %-13s %-24s %-5s %s\n' \
    NAMESPACE NAME TYPE CLUSTER-IP EXTERNAL-IP 'PORT(S)' AGE SELECTOR \
    default service/kubernetes ClusterIP 10.152.183.1 '<none>' 443/TCP "$a_node" '<none>' \
    default service/web ClusterIP "$WEB_SVC_IP" '<none>' 80/TCP "$a_web" app=web \
    kube-system service/kube-dns ClusterIP 10.152.183.10 '<none>' '53/UDP,53/TCP,9153/TCP' "$a_node" k8s-app=kube-dns
  echo
  printf '%-13s %-28s %-9s %-9s %-7s %-12s %-11s %-24s %-5s %-13s %-31s %s\n' \
    NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE 'NODE SELECTOR' AGE CONTAINERS IMAGES SELECTOR \
    kube-system daemonset.apps/calico-node 1 1 "$ds_ready" 1 "$ds_ready" kubernetes.io/os=linux "$a_node" calico-node "docker.io/calico/node:$CALICO" k8s-app=calico-node
  echo
  printf '%-13s %-41s %-7s %-12s %-11s %-5s %-25s %-43s %s\n' \
    NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR \
    default deployment.apps/web 2/2 2 2 "$a_web" nginx docker.io/library/nginx:1.27-alpine app=web \
    kube-system deployment.apps/calico-kube-controllers 1/1 1 1 "$a_node" calico-kube-controllers "docker.io/calico/kube-controllers:$CALICO" k8s-app=calico-kube-controllers \
    kube-system deployment.apps/coredns 1/1 1 1 "$a_node" coredns coredns/coredns:1.12.0 k8s-app=kube-dns
  echo
  printf '%-13s %-52s %-9s %-9s %-7s %-5s %-25s %-43s %s\n' \
    NAMESPACE NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR \
    default "replicaset.apps/$WEB_RS" 2 2 2 "$a_web" nginx docker.io/library/nginx:1.27-alpine "app=web,pod-template-hash=${WEB_RS##*-}" \
    kube-system replicaset.apps/calico-kube-controllers-759cd8b574 1 1 1 "$a_node" calico-kube-controllers "docker.io/calico/kube-controllers:$CALICO" k8s-app=calico-kube-controllers,pod-template-hash=759cd8b574 \
    kube-system replicaset.apps/coredns-7896dbf49 1 1 1 "$a_node" coredns coredns/coredns:1.12.0 k8s-app=kube-dns,pod-template-hash=7896dbf49
}

# `kubectl get --all-namespaces=true pods` (sos)
get_pods() {
  local a_cn a_node a_web r_pods r_cn st_cn ready_cn
  age "$CN_CREATED_MS"; a_cn=$REPLY; age "$NODE_CREATED_MS"; a_node=$REPLY; age "$WEB_CREATED_MS"; a_web=$REPLY
  age "$PODS_STARTED_MS"; r_pods="($REPLY ago)"
  if [[ $CN_STATE == crashloop ]]; then age "${CN_STARTS[-1]}"; r_cn="$CN_RESTARTS ($REPLY ago)"; st_cn=CrashLoopBackOff; ready_cn=0/1
  else r_cn="$CN_RESTARTS $r_pods"; st_cn=Running; ready_cn=1/1; fi
  printf '%-13s %-42s %-7s %-18s %-15s %s\n' NAMESPACE NAME READY STATUS RESTARTS AGE \
    default "${WEB_PODS[0]}" 1/1 Running "$WEB_RESTARTS $r_pods" "$a_web" \
    default "${WEB_PODS[1]}" 1/1 Running "$WEB_RESTARTS $r_pods" "$a_web" \
    kube-system "$KC_POD" 1/1 Running "$KC_RESTARTS $r_pods" "$a_node" \
    kube-system "$CN_POD" "$ready_cn" "$st_cn" "$r_cn" "$a_cn" \
    kube-system "$DNS_POD" 1/1 Running "$DNS_RESTARTS $r_pods" "$a_node"
}

# `kubectl get --all-namespaces=true events` (sos): only what the 5m event TTL kept.
get_events() {
  printf '%-13s %-11s %-9s %-19s %-28s %s\n' NAMESPACE 'LAST SEEN' TYPE REASON OBJECT MESSAGE
  if [[ $CN_STATE == crashloop ]]; then
    local s=${CN_STARTS[-1]} k=${CN_KILLS[-1]} o="pod/$CN_POD"
    age "$(( NOW - 21000 ))"; printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Warning BackOff "$o" "Back-off restarting failed container calico-node in pod ${CN_POD}_kube-system($CN_UID)"
    age "$(( k - 2000 ))"; printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Warning Unhealthy "$o" 'Liveness probe failed: calico/node is not ready: Felix is not live: Get "http://localhost:9099/liveness": dial tcp [::1]:9099: connect: connection refused'
    age "$(( k - 7000 ))"; printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Warning Unhealthy "$o" 'Readiness probe failed: calico/node is not ready: felix is not ready: readiness probe reporting 503'
    age "$k"; printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Normal Killing "$o" 'Container calico-node failed liveness probe, will be restarted'
    age "$s"; printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Normal Pulled "$o" "Container image \"docker.io/calico/node:$CALICO\" already present on machine"
    printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Normal Created "$o" 'Created container: calico-node'
    printf '%-13s %-11s %-9s %-19s %-28s %s\n' kube-system "$REPLY" Normal Started "$o" 'Started container calico-node'
  else
    echo 'No resources found'
  fi
}

# --- cluster-info dump (typed objects: struct field order, 4-space indent) ---

list_close() { printf '\n    ]\n}\n'; }
empty_list() { printf '{\n    "kind": "%s",\n    "apiVersion": "%s",\n    "metadata": {\n        "resourceVersion": "%s"\n    },\n    "items": []\n}\n' "$1" "${3:-v1}" "$2"; }

node_json() { # struct order
  local ready_since hb
  iso "$NOW"; hb=$REPLY
  iso "$(( BOOT_MS + (KSTART_US / 1000) + 12000 ))"; ready_since=$REPLY
  IFS= read -r -d "" ITEM <<EOF || true
        {
            "metadata": {
                "name": "$NODE",
                "uid": "$NODE_UID",
                "resourceVersion": "$RV",
                "creationTimestamp": "$NODE_CREATED",
                "labels": {
                    "beta.kubernetes.io/arch": "amd64",
                    "beta.kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/hostname": "$NODE",
                    "kubernetes.io/os": "linux",
                    "microk8s.io/cluster": "true",
                    "node.kubernetes.io/microk8s-controlplane": "microk8s-controlplane"
                },
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "projectcalico.org/IPv4Address": "$IP4/24",
                    "projectcalico.org/IPv4VXLANTunnelAddr": "$CN_TUN4",
                    "projectcalico.org/IPv6Address": "$IP6/64",
                    "projectcalico.org/IPv6VXLANTunnelAddr": "$CN_TUN6",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"
                }
            },
            "spec": {},
            "status": {
                "capacity": {
                    "cpu": "$CPUS",
                    "ephemeral-storage": "49255912Ki",
                    "hugepages-1Gi": "0",
                    "hugepages-2Mi": "0",
                    "memory": "8131748Ki",
                    "pods": "110"
                },
                "allocatable": {
                    "cpu": "$CPUS",
                    "ephemeral-storage": "48207336Ki",
                    "hugepages-1Gi": "0",
                    "hugepages-2Mi": "0",
                    "memory": "8029348Ki",
                    "pods": "110"
                },
                "conditions": [
                    {
                        "type": "NetworkUnavailable",
                        "status": "False",
                        "lastHeartbeatTime": "$CN_NETUP",
                        "lastTransitionTime": "$CN_NETUP",
                        "reason": "CalicoIsUp",
                        "message": "Calico is running on this node"
                    },
                    {
                        "type": "MemoryPressure",
                        "status": "False",
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$NODE_CREATED",
                        "reason": "KubeletHasSufficientMemory",
                        "message": "kubelet has sufficient memory available"
                    },
                    {
                        "type": "DiskPressure",
                        "status": "False",
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$NODE_CREATED",
                        "reason": "KubeletHasNoDiskPressure",
                        "message": "kubelet has no disk pressure"
                    },
                    {
                        "type": "PIDPressure",
                        "status": "False",
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$NODE_CREATED",
                        "reason": "KubeletHasSufficientPID",
                        "message": "kubelet has sufficient PID available"
                    },
                    {
                        "type": "Ready",
                        "status": "True",
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$ready_since",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status"
                    }
                ],
                "addresses": [
                    {
                        "type": "InternalIP",
                        "address": "$IP4"
                    },
                    {
                        "type": "InternalIP",
                        "address": "$IP6"
                    },
                    {
                        "type": "Hostname",
                        "address": "$NODE"
                    }
                ],
                "daemonEndpoints": {
                    "kubeletEndpoint": {
                        "Port": 10250
                    }
                },
                "nodeInfo": {
                    "machineID": "$MACHINE_ID",
                    "systemUUID": "$SYS_UUID",
                    "bootID": "${BOOT_ID:0:8}-${BOOT_ID:8:4}-${BOOT_ID:12:4}-${BOOT_ID:16:4}-${BOOT_ID:20:12}",
                    "kernelVersion": "$KREL",
                    "osImage": "Ubuntu 24.04.2 LTS",
                    "containerRuntimeVersion": "containerd://${CONTAINERD_VER#v}",
                    "kubeletVersion": "$MK8S_VER",
                    "kubeProxyVersion": "",
                    "operatingSystem": "linux",
                    "architecture": "amd64"
                },
                "images": [
                    {
                        "names": [
                            "docker.io/calico/cni@sha256:a8a3d5d6f6a2dd25c4b4f6b1c2e9c0b5e07e1d25a8a3f34b1f7d06c1b8e3a9d2",
                            "docker.io/calico/cni:$CALICO"
                        ],
                        "sizeBytes": 99289386
                    },
                    {
                        "names": [
                            "docker.io/calico/node@sha256:5e7d2b0c3f1a64e8d9b2c7a5f0e3d1c8b6a4f2e9d7c5b3a1f0e8d6c4b2a9f7e5",
                            "docker.io/calico/node:$CALICO"
                        ],
                        "sizeBytes": 142761220
                    },
                    {
                        "names": [
                            "docker.io/calico/kube-controllers@sha256:f1c9e7d5b3a2f0e8d6c4b2a0f9e7d5c3b1a9f8e6d4c2b0a8f6e4d2c0b9a7f5e3",
                            "docker.io/calico/kube-controllers:$CALICO"
                        ],
                        "sizeBytes": 35493712
                    },
                    {
                        "names": [
                            "docker.io/coredns/coredns@sha256:40384aa1f5ea6bfdc77997d243aec73da05f27aed0c5e9d65bfa98933c519d97",
                            "docker.io/coredns/coredns:1.12.0"
                        ],
                        "sizeBytes": 20938944
                    },
                    {
                        "names": [
                            "docker.io/library/nginx@sha256:65645c7bb6a0661892a8b03b89d0743208a18dd2f3f17a54ef4b76fb8e2f2a10",
                            "docker.io/library/nginx:1.27-alpine"
                        ],
                        "sizeBytes": 20991542
                    },
                    {
                        "names": [
                            "registry.k8s.io/pause@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a",
                            "registry.k8s.io/pause:3.10"
                        ],
                        "sizeBytes": 320368
                    }
                ]
            }
        }
EOF
}

# Sorted keys (unstructured), as `kubectl get -o json nodes` prints them (sos).
node_json_sorted() {
  local hb; iso "$NOW"; hb=$REPLY
  cat <<EOF
{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "projectcalico.org/IPv4Address": "$IP4/24",
                    "projectcalico.org/IPv4VXLANTunnelAddr": "$CN_TUN4",
                    "projectcalico.org/IPv6Address": "$IP6/64",
                    "projectcalico.org/IPv6VXLANTunnelAddr": "$CN_TUN6",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"
                },
                "creationTimestamp": "$NODE_CREATED",
                "labels": {
                    "beta.kubernetes.io/arch": "amd64",
                    "beta.kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/hostname": "$NODE",
                    "kubernetes.io/os": "linux",
                    "microk8s.io/cluster": "true",
                    "node.kubernetes.io/microk8s-controlplane": "microk8s-controlplane"
                },
                "name": "$NODE",
                "resourceVersion": "$RV",
                "uid": "$NODE_UID"
            },
            "spec": {},
            "status": {
                "addresses": [
                    {
                        "address": "$IP4",
                        "type": "InternalIP"
                    },
                    {
                        "address": "$IP6",
                        "type": "InternalIP"
                    },
                    {
                        "address": "$NODE",
                        "type": "Hostname"
                    }
                ],
                "allocatable": {
                    "cpu": "$CPUS",
                    "ephemeral-storage": "48207336Ki",
                    "hugepages-1Gi": "0",
                    "hugepages-2Mi": "0",
                    "memory": "8029348Ki",
                    "pods": "110"
                },
                "capacity": {
                    "cpu": "$CPUS",
                    "ephemeral-storage": "49255912Ki",
                    "hugepages-1Gi": "0",
                    "hugepages-2Mi": "0",
                    "memory": "8131748Ki",
                    "pods": "110"
                },
                "conditions": [
                    {
                        "lastHeartbeatTime": "$CN_NETUP",
                        "lastTransitionTime": "$CN_NETUP",
                        "message": "Calico is running on this node",
                        "reason": "CalicoIsUp",
                        "status": "False",
                        "type": "NetworkUnavailable"
                    },
                    {
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$NODE_CREATED",
                        "message": "kubelet has sufficient memory available",
                        "reason": "KubeletHasSufficientMemory",
                        "status": "False",
                        "type": "MemoryPressure"
                    },
                    {
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$NODE_CREATED",
                        "message": "kubelet has no disk pressure",
                        "reason": "KubeletHasNoDiskPressure",
                        "status": "False",
                        "type": "DiskPressure"
                    },
                    {
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$NODE_CREATED",
                        "message": "kubelet has sufficient PID available",
                        "reason": "KubeletHasSufficientPID",
                        "status": "False",
                        "type": "PIDPressure"
                    },
                    {
                        "lastHeartbeatTime": "$hb",
                        "lastTransitionTime": "$hb",
                        "message": "kubelet is posting ready status",
                        "reason": "KubeletReady",
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "daemonEndpoints": {
                    "kubeletEndpoint": {
                        "Port": 10250
                    }
                },
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": "${BOOT_ID:0:8}-${BOOT_ID:8:4}-${BOOT_ID:12:4}-${BOOT_ID:16:4}-${BOOT_ID:20:12}",
                    "containerRuntimeVersion": "containerd://${CONTAINERD_VER#v}",
                    "kernelVersion": "$KREL",
                    "kubeProxyVersion": "",
                    "kubeletVersion": "$MK8S_VER",
                    "machineID": "$MACHINE_ID",
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04.2 LTS",
                    "systemUUID": "$SYS_UUID"
                }
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
EOF
}

# An ordinary Deployment pod (running), struct order.
app_pod_json() { # NAME NS UID RS IMAGE CONTAINER IP4 IP6 RESTARTS LABELS-JSON-LINES SA PORTS-JSON
  local name=$1 ns=$2 uid=$3 rs=$4 image=$5 cname=$6 ip4=$7 ip6=$8 rc=$9 labels=${10} sa=${11}
  local created started cid cniid lastcid vol rsuid
  if [[ $ns == default ]]; then created=$WEB_CREATED; else created=$NODE_CREATED; fi
  iso "$PODS_STARTED_MS"; started=$REPLY
  rhex 64; cid=$REPLY; rhex 64; cniid=$REPLY; rhex 64; lastcid=$REPLY
  rhex 5; vol=$(tr 0-9 a-j <<<"$REPLY")
  rs_uid "$rs"; rsuid=$REPLY
  image_sha "$image"
  local imgsha=$REPLY
  IFS= read -r -d "" ITEM <<EOF || true
        {
            "metadata": {
                "name": "$name",
                "generateName": "$rs-",
                "namespace": "$ns",
                "uid": "$uid",
                "resourceVersion": "$(( RV - 2100 - rc * 37 ))",
                "creationTimestamp": "$created",
                "labels": {
$labels
                },
                "annotations": {
                    "cni.projectcalico.org/containerID": "$cniid",
                    "cni.projectcalico.org/podIP": "$ip4/32",
                    "cni.projectcalico.org/podIPs": "$ip4/32,$ip6/128"
                },
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": "$rs",
                        "uid": "$rsuid",
                        "controller": true,
                        "blockOwnerDeletion": true
                    }
                ]
            },
            "spec": {
                "volumes": [
                    {
                        "name": "kube-api-access-$vol",
                        "projected": {
                            "sources": [
                                {
                                    "serviceAccountToken": {
                                        "expirationSeconds": 3607,
                                        "path": "token"
                                    }
                                }
                            ],
                            "defaultMode": 420
                        }
                    }
                ],
                "containers": [
                    {
                        "name": "$cname",
                        "image": "$image",
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent"
                    }
                ],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "$sa",
                "serviceAccount": "$sa",
                "nodeName": "$NODE",
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "tolerations": [
                    {
                        "key": "node.kubernetes.io/not-ready",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300
                    },
                    {
                        "key": "node.kubernetes.io/unreachable",
                        "operator": "Exists",
                        "effect": "NoExecute",
                        "tolerationSeconds": 300
                    }
                ],
                "priority": 0,
                "enableServiceLinks": true,
                "preemptionPolicy": "PreemptLowerPriority"
            },
            "status": {
                "phase": "Running",
                "conditions": [
                    {
                        "type": "PodReadyToStartContainers",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$started"
                    },
                    {
                        "type": "Initialized",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$created"
                    },
                    {
                        "type": "Ready",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$started"
                    },
                    {
                        "type": "ContainersReady",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$started"
                    },
                    {
                        "type": "PodScheduled",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$created"
                    }
                ],
                "hostIP": "$IP4",
                "hostIPs": [
                    {
                        "ip": "$IP4"
                    },
                    {
                        "ip": "$IP6"
                    }
                ],
                "podIP": "$ip4",
                "podIPs": [
                    {
                        "ip": "$ip4"
                    },
                    {
                        "ip": "$ip6"
                    }
                ],
                "startTime": "$created",
                "containerStatuses": [
                    {
                        "name": "$cname",
                        "state": {
                            "running": {
                                "startedAt": "$started"
                            }
                        },
                        "lastState": {
                            "terminated": {
                                "exitCode": 255,
                                "reason": "Unknown",
                                "startedAt": "$LAST_BOOT_PODS",
                                "finishedAt": "$LAST_SHUTDOWN",
                                "containerID": "containerd://$lastcid"
                            }
                        },
                        "ready": true,
                        "restartCount": $rc,
                        "image": "$image",
                        "imageID": "$imgsha",
                        "containerID": "containerd://$cid",
                        "started": true
                    }
                ],
                "qosClass": "BestEffort"
            }
        }
EOF
}

rs_uid() {
  case $1 in
    web-*) REPLY=0c7e5a92-3d1b-4f68-a4e0-8b2d6c9f1e73 ;;
    calico-kube-controllers-*) REPLY=6a1f3c8e-9d2b-4e75-b0c4-5e7a1d9f2b86 ;;
    coredns-*) REPLY=e4b9d2a7-1c6f-4083-9e5d-2a7c0f8b3d14 ;;
    calico-node) REPLY=93d7b1e5-4a2c-4f86-8b0e-c1f5a9d3e72b ;;
  esac
}
image_sha() {
  case $1 in
    *nginx*) REPLY=docker.io/library/nginx@sha256:65645c7bb6a0661892a8b03b89d0743208a18dd2f3f17a54ef4b76fb8e2f2a10 ;;
    *coredns*) REPLY=docker.io/coredns/coredns@sha256:40384aa1f5ea6bfdc77997d243aec73da05f27aed0c5e9d65bfa98933c519d97 ;;
    *kube-controllers*) REPLY=docker.io/calico/kube-controllers@sha256:f1c9e7d5b3a2f0e8d6c4b2a0f9e7d5c3b1a9f8e6d4c2b0a8f6e4d2c0b9a7f5e3 ;;
    *calico/node*) REPLY=docker.io/calico/node@sha256:5e7d2b0c3f1a64e8d9b2c7a5f0e3d1c8b6a4f2e9d7c5b3a1f0e8d6c4b2a9f7e5 ;;
    *calico/cni*) REPLY=docker.io/calico/cni@sha256:a8a3d5d6f6a2dd25c4b4f6b1c2e9c0b5e07e1d25a8a3f34b1f7d06c1b8e3a9d2 ;;
  esac
}

J_FIRST=1
jitem() { if (( J_FIRST )); then printf '\n'; J_FIRST=0; else printf ',\n'; fi; printf '%s' "${ITEM%$'\n'}"; }
list_open() { # KIND RV [APIVERSION]
  J_FIRST=1
  printf '{\n    "kind": "%s",\n    "apiVersion": "%s",\n    "metadata": {\n        "resourceVersion": "%s"\n    },\n    "items": [' "$1" "${3:-v1}" "$2"
}

# calico-node's pod spec (at the indentation of a Pod's "spec"), shared with the DaemonSet template.
calico_spec() {
  local vol_api=$1
  IFS= read -r -d '' CN_SPEC <<EOF || true
            "spec": {
                "volumes": [
                    {
                        "name": "lib-modules",
                        "hostPath": {
                            "path": "/lib/modules",
                            "type": ""
                        }
                    },
                    {
                        "name": "var-run-calico",
                        "hostPath": {
                            "path": "/var/snap/microk8s/current/var/run/calico",
                            "type": "DirectoryOrCreate"
                        }
                    },
                    {
                        "name": "var-lib-calico",
                        "hostPath": {
                            "path": "/var/snap/microk8s/current/var/lib/calico",
                            "type": "DirectoryOrCreate"
                        }
                    },
                    {
                        "name": "xtables-lock",
                        "hostPath": {
                            "path": "/run/xtables.lock",
                            "type": "FileOrCreate"
                        }
                    },
                    {
                        "name": "sys-fs",
                        "hostPath": {
                            "path": "/sys/fs/",
                            "type": "DirectoryOrCreate"
                        }
                    },
                    {
                        "name": "bpffs",
                        "hostPath": {
                            "path": "/sys/fs/bpf",
                            "type": "Directory"
                        }
                    },
                    {
                        "name": "cni-bin-dir",
                        "hostPath": {
                            "path": "/var/snap/microk8s/current/opt/cni/bin",
                            "type": "DirectoryOrCreate"
                        }
                    },
                    {
                        "name": "cni-net-dir",
                        "hostPath": {
                            "path": "/var/snap/microk8s/current/args/cni-network",
                            "type": ""
                        }
                    },
                    {
                        "name": "cni-log-dir",
                        "hostPath": {
                            "path": "/var/snap/microk8s/common/var/log/calico/cni",
                            "type": ""
                        }
                    },
                    {
                        "name": "host-local-net-dir",
                        "hostPath": {
                            "path": "/var/snap/microk8s/current/var/lib/cni/networks",
                            "type": ""
                        }
                    },
                    {
                        "name": "policysync",
                        "hostPath": {
                            "path": "/var/snap/microk8s/current/var/run/nodeagent",
                            "type": "DirectoryOrCreate"
                        }
                    }${vol_api}
                ],
                "initContainers": [
                    {
                        "name": "upgrade-ipam",
                        "image": "docker.io/calico/cni:$CALICO",
                        "command": [
                            "/opt/cni/bin/calico-ipam",
                            "-upgrade"
                        ],
                        "envFrom": [
                            {
                                "configMapRef": {
                                    "name": "kubernetes-services-endpoint",
                                    "optional": true
                                }
                            }
                        ],
                        "env": [
                            {
                                "name": "KUBERNETES_NODE_NAME",
                                "valueFrom": {
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "spec.nodeName"
                                    }
                                }
                            },
                            {
                                "name": "CALICO_NETWORKING_BACKEND",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "calico_backend"
                                    }
                                }
                            }
                        ],
                        "resources": {},
                        "volumeMounts": [
                            {
                                "name": "host-local-net-dir",
                                "mountPath": "/var/lib/cni/networks"
                            },
                            {
                                "name": "cni-bin-dir",
                                "mountPath": "/host/opt/cni/bin"
                            }
                        ],
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent",
                        "securityContext": {
                            "privileged": true
                        }
                    },
                    {
                        "name": "install-cni",
                        "image": "docker.io/calico/cni:$CALICO",
                        "command": [
                            "/opt/cni/bin/install"
                        ],
                        "envFrom": [
                            {
                                "configMapRef": {
                                    "name": "kubernetes-services-endpoint",
                                    "optional": true
                                }
                            }
                        ],
                        "env": [
                            {
                                "name": "CNI_CONF_NAME",
                                "value": "10-calico.conflist"
                            },
                            {
                                "name": "CNI_NETWORK_CONFIG",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "cni_network_config"
                                    }
                                }
                            },
                            {
                                "name": "KUBERNETES_NODE_NAME",
                                "valueFrom": {
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "spec.nodeName"
                                    }
                                }
                            },
                            {
                                "name": "CNI_MTU",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "veth_mtu"
                                    }
                                }
                            },
                            {
                                "name": "SLEEP",
                                "value": "false"
                            },
                            {
                                "name": "CNI_NET_DIR",
                                "value": "/var/snap/microk8s/current/args/cni-network"
                            }
                        ],
                        "resources": {},
                        "volumeMounts": [
                            {
                                "name": "cni-bin-dir",
                                "mountPath": "/host/opt/cni/bin"
                            },
                            {
                                "name": "cni-net-dir",
                                "mountPath": "/host/etc/cni/net.d"
                            }
                        ],
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent",
                        "securityContext": {
                            "privileged": true
                        }
                    }
                ],
                "containers": [
                    {
                        "name": "calico-node",
                        "image": "docker.io/calico/node:$CALICO",
                        "envFrom": [
                            {
                                "configMapRef": {
                                    "name": "kubernetes-services-endpoint",
                                    "optional": true
                                }
                            }
                        ],
                        "env": [
                            {
                                "name": "DATASTORE_TYPE",
                                "value": "kubernetes"
                            },
                            {
                                "name": "WAIT_FOR_DATASTORE",
                                "value": "true"
                            },
                            {
                                "name": "NODENAME",
                                "valueFrom": {
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "spec.nodeName"
                                    }
                                }
                            },
                            {
                                "name": "CALICO_NETWORKING_BACKEND",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "calico_backend"
                                    }
                                }
                            },
                            {
                                "name": "CLUSTER_TYPE",
                                "value": "k8s,bgp"
                            },
                            {
                                "name": "IP",
                                "value": "autodetect"
                            },
                            {
                                "name": "IP_AUTODETECTION_METHOD",
                                "value": "first-found"
                            },
                            {
                                "name": "CALICO_IPV4POOL_VXLAN",
                                "value": "Always"
                            },
                            {
                                "name": "IP6_AUTODETECTION_METHOD",
                                "value": "first-found"
                            },
                            {
                                "name": "CALICO_IPV6POOL_CIDR",
                                "value": "$POD_CIDR6"
                            },
                            {
                                "name": "IP6",
                                "value": "autodetect"
                            },
                            {
                                "name": "CALICO_IPV6POOL_VXLAN",
                                "value": "Always"
                            },
                            {
                                "name": "FELIX_IPINIPMTU",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "veth_mtu"
                                    }
                                }
                            },
                            {
                                "name": "FELIX_VXLANMTU",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "veth_mtu"
                                    }
                                }
                            },
                            {
                                "name": "FELIX_WIREGUARDMTU",
                                "valueFrom": {
                                    "configMapKeyRef": {
                                        "name": "calico-config",
                                        "key": "veth_mtu"
                                    }
                                }
                            },
                            {
                                "name": "CALICO_IPV4POOL_CIDR",
                                "value": "$POD_CIDR4"
                            },
                            {
                                "name": "CALICO_DISABLE_FILE_LOGGING",
                                "value": "true"
                            },
                            {
                                "name": "FELIX_DEFAULTENDPOINTTOHOSTACTION",
                                "value": "ACCEPT"
                            },
                            {
                                "name": "FELIX_IPV6SUPPORT",
                                "value": "true"
                            },
                            {
                                "name": "FELIX_HEALTHENABLED",
                                "value": "true"
                            },
                            {
                                "name": "FELIX_FEATUREDETECTOVERRIDE",
                                "value": "ChecksumOffloadBroken=true"
                            }
                        ],
                        "resources": {
                            "requests": {
                                "cpu": "250m"
                            }
                        },
                        "volumeMounts": [
                            {
                                "name": "cni-net-dir",
                                "mountPath": "/host/etc/cni/net.d"
                            },
                            {
                                "name": "lib-modules",
                                "readOnly": true,
                                "mountPath": "/lib/modules"
                            },
                            {
                                "name": "xtables-lock",
                                "mountPath": "/run/xtables.lock"
                            },
                            {
                                "name": "var-run-calico",
                                "mountPath": "/var/run/calico"
                            },
                            {
                                "name": "var-lib-calico",
                                "mountPath": "/var/lib/calico"
                            },
                            {
                                "name": "policysync",
                                "mountPath": "/var/run/nodeagent"
                            },
                            {
                                "name": "bpffs",
                                "mountPath": "/sys/fs/bpf"
                            },
                            {
                                "name": "cni-log-dir",
                                "readOnly": true,
                                "mountPath": "/var/log/calico/cni"
                            }
                        ],
                        "livenessProbe": {
                            "exec": {
                                "command": [
                                    "/bin/calico-node",
                                    "-felix-live"
                                ]
                            },
                            "initialDelaySeconds": 10,
                            "timeoutSeconds": 10,
                            "periodSeconds": 10,
                            "successThreshold": 1,
                            "failureThreshold": 6
                        },
                        "readinessProbe": {
                            "exec": {
                                "command": [
                                    "/bin/calico-node",
                                    "-felix-ready"
                                ]
                            },
                            "timeoutSeconds": 10,
                            "periodSeconds": 10,
                            "successThreshold": 1,
                            "failureThreshold": 3
                        },
                        "lifecycle": {
                            "preStop": {
                                "exec": {
                                    "command": [
                                        "/bin/calico-node",
                                        "-shutdown"
                                    ]
                                }
                            }
                        },
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent",
                        "securityContext": {
                            "privileged": true
                        }
                    }
                ],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 0,
                "dnsPolicy": "ClusterFirst",
                "nodeSelector": {
                    "kubernetes.io/os": "linux"
                },
                "serviceAccountName": "calico-node",
                "serviceAccount": "calico-node",
                ${CN_NODE_FIELDS}"hostNetwork": true,
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "tolerations": [
                    {
                        "operator": "Exists",
                        "effect": "NoSchedule"
                    },
                    {
                        "key": "CriticalAddonsOnly",
                        "operator": "Exists"
                    },
                    {
                        "operator": "Exists",
                        "effect": "NoExecute"
                    }${CN_EXTRA_TOL}
                ],
                "priorityClassName": "system-node-critical"${CN_PRIO}
            }
EOF
}

calico_pod_json() {
  local created started st lastst ready rc cid lcid
  iso "$CN_CREATED_MS"; created=$REPLY
  CN_NODE_FIELDS="\"nodeName\": \"$NODE\",
                "
  CN_EXTRA_TOL=',
                    {
                        "key": "node.kubernetes.io/not-ready",
                        "operator": "Exists",
                        "effect": "NoExecute"
                    },
                    {
                        "key": "node.kubernetes.io/unreachable",
                        "operator": "Exists",
                        "effect": "NoExecute"
                    },
                    {
                        "key": "node.kubernetes.io/disk-pressure",
                        "operator": "Exists",
                        "effect": "NoSchedule"
                    },
                    {
                        "key": "node.kubernetes.io/memory-pressure",
                        "operator": "Exists",
                        "effect": "NoSchedule"
                    },
                    {
                        "key": "node.kubernetes.io/pid-pressure",
                        "operator": "Exists",
                        "effect": "NoSchedule"
                    },
                    {
                        "key": "node.kubernetes.io/unschedulable",
                        "operator": "Exists",
                        "effect": "NoSchedule"
                    },
                    {
                        "key": "node.kubernetes.io/network-unavailable",
                        "operator": "Exists",
                        "effect": "NoSchedule"
                    }'
  CN_PRIO=',
                "priority": 2000001000,
                "preemptionPolicy": "PreemptLowerPriority"'
  calico_spec ''
  local spec=$CN_SPEC podready cready ptrans
  local init_started init_done
  iso "$(( PODS_STARTED_MS - 3000 ))"; init_started=$REPLY
  iso "$(( PODS_STARTED_MS - 1500 ))"; init_done=$REPLY
  local uicid icicid; rhex 64; uicid=$REPLY; rhex 64; icicid=$REPLY
  if [[ $CN_STATE == crashloop ]]; then
    local s=${CN_STARTS[-1]} k=${CN_KILLS[-1]}
    cid=${CN_CIDS[-1]}
    iso "$s"; local sa=$REPLY; iso "$(( k + 2100 ))"; local fa=$REPLY
    st="\"waiting\": {
                                \"reason\": \"CrashLoopBackOff\",
                                \"message\": \"back-off 5m0s restarting failed container=calico-node pod=${CN_POD}_kube-system($CN_UID)\"
                            }"
    lastst="\"terminated\": {
                                \"exitCode\": 137,
                                \"reason\": \"Error\",
                                \"startedAt\": \"$sa\",
                                \"finishedAt\": \"$fa\",
                                \"containerID\": \"containerd://$cid\"
                            }"
    ready=false; rc=$CN_RESTARTS; podready='"status": "False",'
    iso "${CN_STARTS[0]}"; ptrans=$REPLY
    cready="                        \"type\": \"Ready\",
                        \"status\": \"False\",
                        \"lastProbeTime\": null,
                        \"lastTransitionTime\": \"$ptrans\",
                        \"reason\": \"ContainersNotReady\",
                        \"message\": \"containers with unready status: [calico-node]\""
    local started_flag=false cidline="\"containerID\": \"containerd://$cid\","
  else
    rhex 64; cid=$REPLY; rhex 64; lcid=$REPLY
    iso "$(( PODS_STARTED_MS + 2000 ))"; started=$REPLY
    st="\"running\": {
                                \"startedAt\": \"$started\"
                            }"
    lastst="\"terminated\": {
                                \"exitCode\": 255,
                                \"reason\": \"Unknown\",
                                \"startedAt\": \"$LAST_BOOT_PODS\",
                                \"finishedAt\": \"$LAST_SHUTDOWN\",
                                \"containerID\": \"containerd://$lcid\"
                            }"
    ready=true; rc=$CN_RESTARTS
    iso "$(( PODS_STARTED_MS + 15000 ))"; ptrans=$REPLY
    cready="                        \"type\": \"Ready\",
                        \"status\": \"True\",
                        \"lastProbeTime\": null,
                        \"lastTransitionTime\": \"$ptrans\""
    local started_flag=true cidline="\"containerID\": \"containerd://$cid\","
  fi
  local cr2=${cready//\"Ready\"/\"ContainersReady\"}
  image_sha "docker.io/calico/cni:$CALICO"; local cnisha=$REPLY
  image_sha "docker.io/calico/node:$CALICO"; local nodesha=$REPLY
  IFS= read -r -d '' ITEM <<EOF || true
        {
            "metadata": {
                "name": "$CN_POD",
                "generateName": "calico-node-",
                "namespace": "kube-system",
                "uid": "$CN_UID",
                "resourceVersion": "$(( RV - 9 ))",
                "creationTimestamp": "$created",
                "labels": {
                    "controller-revision-hash": "6f5bd8c47d",
                    "k8s-app": "calico-node",
                    "pod-template-generation": "3"
                },
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "DaemonSet",
                        "name": "calico-node",
                        "uid": "93d7b1e5-4a2c-4f86-8b0e-c1f5a9d3e72b",
                        "controller": true,
                        "blockOwnerDeletion": true
                    }
                ]
            },
${spec%$'\n'},
            "status": {
                "phase": "Running",
                "conditions": [
                    {
                        "type": "PodReadyToStartContainers",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$init_started"
                    },
                    {
                        "type": "Initialized",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$init_done"
                    },
                    {
$cready
                    },
                    {
$cr2
                    },
                    {
                        "type": "PodScheduled",
                        "status": "True",
                        "lastProbeTime": null,
                        "lastTransitionTime": "$created"
                    }
                ],
                "hostIP": "$IP4",
                "hostIPs": [
                    {
                        "ip": "$IP4"
                    },
                    {
                        "ip": "$IP6"
                    }
                ],
                "podIP": "$IP4",
                "podIPs": [
                    {
                        "ip": "$IP4"
                    },
                    {
                        "ip": "$IP6"
                    }
                ],
                "startTime": "$created",
                "initContainerStatuses": [
                    {
                        "name": "upgrade-ipam",
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "reason": "Completed",
                                "startedAt": "$init_started",
                                "finishedAt": "$init_started",
                                "containerID": "containerd://$uicid"
                            }
                        },
                        "lastState": {},
                        "ready": true,
                        "restartCount": 1,
                        "image": "docker.io/calico/cni:$CALICO",
                        "imageID": "$cnisha",
                        "containerID": "containerd://$uicid",
                        "started": false
                    },
                    {
                        "name": "install-cni",
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "reason": "Completed",
                                "startedAt": "$init_done",
                                "finishedAt": "$init_done",
                                "containerID": "containerd://$icicid"
                            }
                        },
                        "lastState": {},
                        "ready": true,
                        "restartCount": 1,
                        "image": "docker.io/calico/cni:$CALICO",
                        "imageID": "$cnisha",
                        "containerID": "containerd://$icicid",
                        "started": false
                    }
                ],
                "containerStatuses": [
                    {
                        "name": "calico-node",
                        "state": {
                            $st
                        },
                        "lastState": {
                            $lastst
                        },
                        "ready": $ready,
                        "restartCount": $rc,
                        "image": "docker.io/calico/node:$CALICO",
                        "imageID": "$nodesha",
                        $cidline
                        "started": $started_flag
                    }
                ],
                "qosClass": "Burstable"
            }
        }
EOF
}

event_json() { # NAME-SUFFIX REASON MESSAGE FIRST-MS LAST-MS COUNT TYPE [OBJ-KIND OBJ-NAME OBJ-UID FIELDPATH COMPONENT]
  local f l
  ruuid; local euid=$REPLY
  iso "$4"; f=$REPLY; iso "$5"; l=$REPLY
  local kind=${8:-Pod} oname=${9:-$CN_POD} ouid=${10:-$CN_UID} fp=${11-spec.containers{calico-node\}} comp=${12:-kubelet}
  local fpl=''
  [[ -n $fp ]] && fpl=",
                \"fieldPath\": \"$fp\""
  local host=''
  [[ $comp == kubelet ]] && host=",
                \"host\": \"$NODE\""
  IFS= read -r -d '' ITEM <<EOF || true
        {
            "metadata": {
                "name": "$oname.$1",
                "namespace": "kube-system",
                "uid": "$euid",
                "resourceVersion": "$(( RV - 40 + ${#1} ))",
                "creationTimestamp": "$f"
            },
            "involvedObject": {
                "kind": "$kind",
                "namespace": "kube-system",
                "name": "$oname",
                "uid": "$ouid",
                "apiVersion": "v1",
                "resourceVersion": "$(( RV - 4100 ))"$fpl
            },
            "reason": "$2",
            "message": "$3",
            "source": {
                "component": "$comp"$host
            },
            "firstTimestamp": "$f",
            "lastTimestamp": "$l",
            "count": $6,
            "type": "$7",
            "eventTime": null,
            "reportingComponent": "$comp",
            "reportingInstance": "${comp/kubelet/$NODE}"
        }
EOF
}

svc_json() { # NAME NS UID CREATED CLUSTERIP PORTS-JSON SELECTOR-JSON LABELS-JSON
  IFS= read -r -d '' ITEM <<EOF || true
        {
            "metadata": {
                "name": "$1",
                "namespace": "$2",
                "uid": "$3",
                "resourceVersion": "$(( RV - 40000 + ${#1} * 31 ))",
                "creationTimestamp": "$4",
                "labels": {
$8
                }
            },
            "spec": {
                "ports": [
$6
                ],$7
                "clusterIP": "$5",
                "clusterIPs": [
                    "$5"
                ],
                "type": "ClusterIP",
                "sessionAffinity": "None",
                "ipFamilies": [
                    "IPv4"
                ],
                "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster"
            },
            "status": {
                "loadBalancer": {}
            }
        }
EOF
}
port_json() { # NAME PROTO PORT TARGET [last]
  local tp=$4; [[ $tp =~ ^[0-9]+$ ]] || tp="\"$tp\""
  printf '                    {\n%s                        "protocol": "%s",\n                        "port": %s,\n                        "targetPort": %s\n                    }%s' \
    "${1:+                        \"name\": \"$1\",
}" "$2" "$3" "$tp" "${5:-}"
}

ds_json() {
  CN_NODE_FIELDS=''; CN_EXTRA_TOL=''; CN_PRIO=''
  calico_spec ''
  local spec=${CN_SPEC//$'\n'/$'\n        '}
  local ready=1 unavail=''
  [[ $CN_STATE == crashloop ]] && { ready=0; unavail=',
                "numberUnavailable": 1'; }
  local avail=''
  [[ $CN_STATE != crashloop ]] && avail=',
                "numberAvailable": 1'
  IFS= read -r -d '' ITEM <<EOF || true
        {
            "metadata": {
                "name": "calico-node",
                "namespace": "kube-system",
                "uid": "93d7b1e5-4a2c-4f86-8b0e-c1f5a9d3e72b",
                "resourceVersion": "$(( RV - 7 ))",
                "generation": 3,
                "creationTimestamp": "$NODE_CREATED",
                "labels": {
                    "k8s-app": "calico-node"
                },
                "annotations": {
                    "deprecated.daemonset.template.generation": "3"
                }
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "k8s-app": "calico-node"
                    }
                },
                "template": {
                    "metadata": {
                        "creationTimestamp": null,
                        "labels": {
                            "k8s-app": "calico-node"
                        }
                    },
    ${spec#    }
                },
                "updateStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxUnavailable": 1,
                        "maxSurge": 0
                    }
                },
                "revisionHistoryLimit": 10
            },
            "status": {
                "currentNumberScheduled": 1,
                "numberMisscheduled": 0,
                "desiredNumberScheduled": 1,
                "numberReady": $ready,
                "observedGeneration": 3,
                "updatedNumberScheduled": 1$avail$unavail
            }
        }
EOF
  ITEM=${ITEM//$'\n    \n'/$'\n'}
}

# Deployment or ReplicaSet of one container. KIND NAME NS UID CREATED LABEL-KEY LABEL-VAL IMAGE CONTAINER REPLICAS SA [HASH]
workload_json() {
  local kind=$1 name=$2 ns=$3 uid=$4 created=$5 lk=$6 lv=$7 image=$8 cname=$9 n=${10} sa=${11} hash=${12:-}
  local sel_extra='' tmpl_extra='' owner='' strategy='' status gen=1
  if [[ $kind == ReplicaSet ]]; then
    sel_extra=",
                        \"pod-template-hash\": \"$hash\""
    tmpl_extra=$sel_extra
    tmpl_extra=${tmpl_extra//                        /                            }
    local dname=${name%-*} duid
    case $dname in
      web) duid=2c81f6d3-9a4e-4b07-8f5d-e3a0c7b9d126 ;;
      calico-kube-controllers) duid=b75e0a1c-2f3d-4d98-a6c1-0e9b4f2d7a53 ;;
      *) duid=41f8c2e9-6d0a-4b3e-9c57-a8e1d4b0f692 ;;
    esac
    owner=",
                \"ownerReferences\": [
                    {
                        \"apiVersion\": \"apps/v1\",
                        \"kind\": \"Deployment\",
                        \"name\": \"$dname\",
                        \"uid\": \"$duid\",
                        \"controller\": true,
                        \"blockOwnerDeletion\": true
                    }
                ]"
    status="\"replicas\": $n,
                \"fullyLabeledReplicas\": $n,
                \"readyReplicas\": $n,
                \"availableReplicas\": $n,
                \"observedGeneration\": 1"
  else
    strategy=",
                \"strategy\": {
                    \"type\": \"RollingUpdate\",
                    \"rollingUpdate\": {
                        \"maxUnavailable\": \"25%\",
                        \"maxSurge\": \"25%\"
                    }
                },
                \"revisionHistoryLimit\": 10,
                \"progressDeadlineSeconds\": 600"
    [[ $name == calico-kube-controllers ]] && strategy=",
                \"strategy\": {
                    \"type\": \"Recreate\"
                },
                \"revisionHistoryLimit\": 10,
                \"progressDeadlineSeconds\": 600"
    iso "$PODS_STARTED_MS"; local at=$REPLY
    status="\"observedGeneration\": 1,
                \"replicas\": $n,
                \"updatedReplicas\": $n,
                \"readyReplicas\": $n,
                \"availableReplicas\": $n,
                \"conditions\": [
                    {
                        \"type\": \"Progressing\",
                        \"status\": \"True\",
                        \"lastUpdateTime\": \"$created\",
                        \"lastTransitionTime\": \"$created\",
                        \"reason\": \"NewReplicaSetAvailable\",
                        \"message\": \"ReplicaSet \\\"$name-${hash:-x}\\\" has successfully progressed.\"
                    },
                    {
                        \"type\": \"Available\",
                        \"status\": \"True\",
                        \"lastUpdateTime\": \"$at\",
                        \"lastTransitionTime\": \"$at\",
                        \"reason\": \"MinimumReplicasAvailable\",
                        \"message\": \"Deployment has minimum availability.\"
                    }
                ]"
  fi
  IFS= read -r -d '' ITEM <<EOF || true
        {
            "metadata": {
                "name": "$name",
                "namespace": "$ns",
                "uid": "$uid",
                "resourceVersion": "$(( RV - 3000 + ${#name} * 13 ))",
                "generation": $gen,
                "creationTimestamp": "$created",
                "labels": {
                    "$lk": "$lv"$sel_extra
                }$owner
            },
            "spec": {
                "replicas": $n,
                "selector": {
                    "matchLabels": {
                        "$lk": "$lv"$sel_extra
                    }
                },
                "template": {
                    "metadata": {
                        "creationTimestamp": null,
                        "labels": {
                            "$lk": "$lv"$tmpl_extra
                        }
                    },
                    "spec": {
                        "containers": [
                            {
                                "name": "$cname",
                                "image": "$image",
                                "resources": {},
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File",
                                "imagePullPolicy": "IfNotPresent"
                            }
                        ],
                        "restartPolicy": "Always",
                        "terminationGracePeriodSeconds": 30,
                        "dnsPolicy": "ClusterFirst",
                        "serviceAccountName": "$sa",
                        "serviceAccount": "$sa",
                        "securityContext": {},
                        "schedulerName": "default-scheduler"
                    }
                }$strategy
            },
            "status": {
                $status
            }
        }
EOF
}

# --- container logs (kubectl logs: the container's own stdout/stderr, no CRI wrapper) ---

upgrade_ipam_log() { # T
  T=$1
  fx INFO 1 ipam/ipam_plugin.go 75 "migrating from host-local to calico-ipam..."; adv 2 6
  fx INFO 1 ipam/migrate.go 64 "checking host-local IPAM data dir dir existence..."
  fx INFO 1 ipam/migrate.go 66 "host-local IPAM data dir dir not found; no migration necessary, successfully exiting..."
  fx INFO 1 ipam/ipam_plugin.go 105 "migration from host-local to calico-ipam complete node=\"$NODE\""
}
install_cni_log() { # T
  T=$1
  local f
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Running as a Kubernetes pod"; adv 5 12
  for f in bandwidth calico calico-ipam flannel host-local loopback portmap tuning; do
    fx INFO 1 'cni-installer/<nil>' '<nil>' "File is already up to date, skipping file=\"/host/opt/cni/bin/$f\""; adv 1 4
  done
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Installed /host/opt/cni/bin/install"
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Wrote Calico CNI binaries to /host/opt/cni/bin"; adv 20 40
  fx INFO 1 'cni-installer/<nil>' '<nil>' "CNI plugin version: $CALICO"
  fx INFO 1 'cni-installer/<nil>' '<nil>' "/host/secondary-bin-dir is not writeable, skipping"
  f_klog "$T"; raw "W$REPLY       1 client_config.go:667] Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work."; adv 10 25
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Created /host/etc/cni/net.d/calico-kubeconfig"
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Using CNI config template from CNI_NETWORK_CONFIG environment variable."; adv 0 2
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Created /host/etc/cni/net.d/10-calico.conflist"
  fx INFO 1 'cni-installer/<nil>' '<nil>' "Done configuring CNI.  Sleep= false"
}
kube_controllers_log() { # T END
  T=$1; local tend=$2
  fx INFO 1 main.go 99 'Loaded configuration from environment config=&config.Config{LogLevel:"info", WorkloadEndpointWorkers:1, ProfileWorkers:1, PolicyWorkers:1, NodeWorkers:1, Kubeconfig:"", DatastoreType:"kubernetes"}'
  f_klog "$T"; raw "W$REPLY       1 client_config.go:667] Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work."
  fx INFO 1 main.go 123 "Ensuring Calico datastore is initialized"; adv 20 40
  fx INFO 1 main.go 164 "Calico datastore is initialized"
  fx INFO 1 main.go 201 "Getting initial config snapshot from datastore"; adv 10 25
  fx INFO 1 main.go 204 "Got initial config snapshot"
  fx INFO 1 watchersyncer.go 89 "Start called"
  fx INFO 1 main.go 218 "Starting status report routine"
  fx INFO 1 main.go 227 "Starting Prometheus metrics server on port 9094"
  fx INFO 1 main.go 512 "Starting controller ControllerType=\"Node\""
  fx INFO 1 controller.go 193 "Starting Node controller"; adv 0 2
  fx INFO 1 watchersyncer.go 130 "Sending status update Status=wait-for-ready"
  fx INFO 1 syncer.go 86 "Node controller syncer status updated: wait-for-ready"
  fx INFO 1 controller.go 207 "Node controller is now running"; adv 40 90
  fx INFO 1 watchercache.go 181 'Full resync is required ListRoot="/calico/ipam/v2/assignment/"'
  fx INFO 1 watchersyncer.go 130 "Sending status update Status=resync"
  fx INFO 1 syncer.go 86 "Node controller syncer status updated: resync"; adv 20 60
  fx INFO 1 watchersyncer.go 130 "Sending status update Status=in-sync"
  fx INFO 1 syncer.go 86 "Node controller syncer status updated: in-sync"
  fx INFO 1 hostendpoints.go 173 "successfully synced all hostendpoints"; adv 50 100
  fx INFO 1 ipam.go 281 "Will run periodic IPAM sync every 7m30s"
  fx INFO 1 ipam.go 299 "Syncer is InSync, kicking sync channel status=in-sync"
  while (( T + 450000 < tend )); do
    T=$(( T + 450000 )); adv 0 40
    fx INFO 1 ipam.go 299 "Syncer is InSync, kicking sync channel status=in-sync"
  done
}
coredns_log() {
  raw ".:53"
  raw "[INFO] plugin/reload: Running configuration SHA512 = 1b226df79860026c6a52e67daa10d7f0d57ec5b023288ec00c5e05f93523c894564e15b91770d3a07ae1cfbe861d15b37d4a0027e69c546ab112970993a3b03b"
  raw "CoreDNS-1.12.0"
  raw "linux/amd64, go1.23.3, 51e11f1"
}
nginx_log() { # T
  T=$1
  local ts
  raw "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
  raw "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/"
  raw "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh"
  raw "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf"
  raw "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf"
  raw "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh"
  raw "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh"
  raw "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh"
  raw "/docker-entrypoint.sh: Configuration complete; ready for start up"
  printf -v ts '%(%Y/%m/%d %H:%M:%S)T' $(( T / 1000 ))
  raw "$ts [notice] 1#1: using the \"epoll\" event method"
  raw "$ts [notice] 1#1: nginx/1.27.5"
  raw "$ts [notice] 1#1: built by gcc 14.2.0 (Alpine 14.2.0) "
  raw "$ts [notice] 1#1: OS: Linux $KREL"
  raw "$ts [notice] 1#1: getrlimit(RLIMIT_NOFILE): 65536:65536"
  raw "$ts [notice] 1#1: start worker processes"
  local i
  for i in 0 1 2 3; do raw "$ts [notice] 1#1: start worker process $(( 29 + i ))"; done
}

# Everything `kubectl cluster-info dump -A` prints, at NOW.
cluster_info_dump() {
  local fel
  list_open NodeList "$RV"; node_json; jitem; list_close
  # --- default
  empty_list EventList "$RV"
  empty_list ReplicationControllerList "$RV"
  list_open ServiceList "$RV"
  svc_json kubernetes default 1d6c3f80-9b2e-4a57-8d14-f0e7a3c9b265 "$NODE_CREATED" 10.152.183.1 "$(port_json https TCP 443 16443)" '' \
'                    "component": "apiserver",
                    "provider": "kubernetes"'; jitem
  svc_json web default 7e2a9d41-c65b-4f08-b3d7-19e8f0a2c4d6 "$WEB_CREATED" "$WEB_SVC_IP" "$(port_json '' TCP 80 80)" '
                "selector": {
                    "app": "web"
                },' \
'                    "app": "web"'; jitem
  list_close
  empty_list DaemonSetList "$RV" apps/v1
  list_open DeploymentList "$RV" apps/v1
  workload_json Deployment web default 2c81f6d3-9a4e-4b07-8f5d-e3a0c7b9d126 "$WEB_CREATED" app web docker.io/library/nginx:1.27-alpine nginx 2 default "${WEB_RS##*-}"; jitem
  list_close
  list_open ReplicaSetList "$RV" apps/v1
  workload_json ReplicaSet "$WEB_RS" default 0c7e5a92-3d1b-4f68-a4e0-8b2d6c9f1e73 "$WEB_CREATED" app web docker.io/library/nginx:1.27-alpine nginx 2 default "${WEB_RS##*-}"; jitem
  list_close
  list_open PodList "$RV"
  local i
  for i in 0 1; do
    app_pod_json "${WEB_PODS[i]}" default "${WEB_UIDS[i]}" "$WEB_RS" docker.io/library/nginx:1.27-alpine nginx "${WEB_IP4[i]}" "${WEB_IP6[i]}" "$WEB_RESTARTS" \
'                    "app": "web",
                    "pod-template-hash": "'"${WEB_RS##*-}"'"' default; jitem
  done
  list_close
  for i in 0 1; do
    printf '==== START logs for container nginx of pod default/%s ====\n' "${WEB_PODS[i]}"
    nginx_log "$(( PODS_STARTED_MS + 900 + i * 300 ))" | unkey
    printf '==== END logs for container nginx of pod default/%s ====\n' "${WEB_PODS[i]}"
  done
  # --- kube-node-lease, kube-public: nothing but empty lists
  local ns k
  for ns in kube-node-lease kube-public; do
    for k in EventList ReplicationControllerList ServiceList; do empty_list "$k" "$RV"; done
    for k in DaemonSetList DeploymentList ReplicaSetList; do empty_list "$k" "$RV" apps/v1; done
    empty_list PodList "$RV"
  done
  # --- kube-system
  if [[ $CN_STATE == crashloop ]]; then
    list_open EventList "$RV"
    local n=${#CN_STARTS[@]} s0=${CN_STARTS[0]} sl=${CN_STARTS[-1]} k0=${CN_KILLS[0]} kl_=${CN_KILLS[-1]}
    rhex 16; event_json "$REPLY" BackOff "Back-off restarting failed container calico-node in pod ${CN_POD}_kube-system($CN_UID)" $(( k0 + 2300 )) $(( NOW - 21000 )) 61 Warning; jitem
    rhex 16; event_json "$REPLY" Killing "Container calico-node failed liveness probe, will be restarted" "$k0" "$kl_" "$n" Normal; jitem
    rhex 16; event_json "$REPLY" Pulled "Container image \\\"docker.io/calico/node:$CALICO\\\" already present on machine" "$(( s0 - 400 ))" "$(( sl - 400 ))" $(( n + 1 )) Normal; jitem
    rhex 16; event_json "$REPLY" Created "Created container: calico-node" "$(( s0 - 300 ))" "$(( sl - 300 ))" $(( n + 1 )) Normal; jitem
    rhex 16; event_json "$REPLY" Started "Started container calico-node" "$(( s0 - 100 ))" "$(( sl - 100 ))" $(( n + 1 )) Normal; jitem
    rhex 16; event_json "$REPLY" Unhealthy "Readiness probe failed: calico/node is not ready: felix is not ready: readiness probe reporting 503" "$(( s0 + 5600 ))" "$(( kl_ - 7000 ))" $(( n * 6 )) Warning; jitem
    rhex 16; event_json "$REPLY" Unhealthy "Liveness probe failed: calico/node is not ready: Felix is not live: Get \\\"http://localhost:9099/liveness\\\": dial tcp [::1]:9099: connect: connection refused" "$(( s0 + 10600 ))" "$(( kl_ - 2000 ))" $(( n * 6 )) Warning; jitem
    list_close
  else
    empty_list EventList "$RV"
  fi
  empty_list ReplicationControllerList "$RV"
  list_open ServiceList "$RV"
  svc_json kube-dns kube-system 5b9e0c27-3f41-4d8a-a6b2-e7c1d9f04a38 "$NODE_CREATED" 10.152.183.10 "$(port_json dns UDP 53 53 ,)
$(port_json dns-tcp TCP 53 53 ,)
$(port_json metrics TCP 9153 9153)" '
                "selector": {
                    "k8s-app": "kube-dns"
                },' \
'                    "k8s-app": "kube-dns",
                    "kubernetes.io/cluster-service": "true",
                    "kubernetes.io/name": "CoreDNS"'; jitem
  list_close
  list_open DaemonSetList "$RV" apps/v1; ds_json; jitem; list_close
  list_open DeploymentList "$RV" apps/v1
  workload_json Deployment calico-kube-controllers kube-system b75e0a1c-2f3d-4d98-a6c1-0e9b4f2d7a53 "$NODE_CREATED" k8s-app calico-kube-controllers "docker.io/calico/kube-controllers:$CALICO" calico-kube-controllers 1 calico-kube-controllers 759cd8b574; jitem
  workload_json Deployment coredns kube-system 41f8c2e9-6d0a-4b3e-9c57-a8e1d4b0f692 "$NODE_CREATED" k8s-app kube-dns coredns/coredns:1.12.0 coredns 1 coredns 7896dbf49; jitem
  list_close
  list_open ReplicaSetList "$RV" apps/v1
  workload_json ReplicaSet calico-kube-controllers-759cd8b574 kube-system 6a1f3c8e-9d2b-4e75-b0c4-5e7a1d9f2b86 "$NODE_CREATED" k8s-app calico-kube-controllers "docker.io/calico/kube-controllers:$CALICO" calico-kube-controllers 1 calico-kube-controllers 759cd8b574; jitem
  workload_json ReplicaSet coredns-7896dbf49 kube-system e4b9d2a7-1c6f-4083-9e5d-2a7c0f8b3d14 "$NODE_CREATED" k8s-app kube-dns coredns/coredns:1.12.0 coredns 1 coredns 7896dbf49; jitem
  list_close
  list_open PodList "$RV"
  app_pod_json "$KC_POD" kube-system "$KC_UID" calico-kube-controllers-759cd8b574 "docker.io/calico/kube-controllers:$CALICO" calico-kube-controllers "$KC_IP4" "$KC_IP6" "$KC_RESTARTS" \
'                    "k8s-app": "calico-kube-controllers",
                    "pod-template-hash": "759cd8b574"' calico-kube-controllers; jitem
  calico_pod_json; jitem
  app_pod_json "$DNS_POD" kube-system "$DNS_UID" coredns-7896dbf49 coredns/coredns:1.12.0 coredns "$DNS_IP4" "$DNS_IP6" "$DNS_RESTARTS" \
'                    "k8s-app": "kube-dns",
                    "pod-template-hash": "7896dbf49"' coredns; jitem
  list_close
  printf '==== START logs for container calico-kube-controllers of pod kube-system/%s ====\n' "$KC_POD"
  kube_controllers_log "$(( PODS_STARTED_MS + 1400 ))" "$NOW" | unkey
  printf '==== END logs for container calico-kube-controllers of pod kube-system/%s ====\n' "$KC_POD"
  printf '==== START logs for container upgrade-ipam of pod kube-system/%s ====\n' "$CN_POD"
  upgrade_ipam_log "$(( PODS_STARTED_MS - 3000 ))" | unkey
  printf '==== END logs for container upgrade-ipam of pod kube-system/%s ====\n' "$CN_POD"
  printf '==== START logs for container install-cni of pod kube-system/%s ====\n' "$CN_POD"
  install_cni_log "$(( PODS_STARTED_MS - 1500 ))" | unkey
  printf '==== END logs for container install-cni of pod kube-system/%s ====\n' "$CN_POD"
  printf '==== START logs for container calico-node of pod kube-system/%s ====\n' "$CN_POD"
  printf '%s' "$CN_LOG"
  printf '==== END logs for container calico-node of pod kube-system/%s ====\n' "$CN_POD"
  printf '==== START logs for container coredns of pod kube-system/%s ====\n' "$DNS_POD"
  coredns_log | unkey
  printf '==== END logs for container coredns of pod kube-system/%s ====\n' "$DNS_POD"
}

# The current calico-node container's log (what `kubectl logs` returns at NOW) -> CN_LOG
current_calico_log() {
  local saved=$RNG
  if [[ $CN_STATE == crashloop ]]; then
    CN_LOG=$(calico_node_log "${CN_STARTS[-1]}" incident "${CN_KILLS[-1]}" 0 | unkey; echo x)
  else
    CN_LOG=$(calico_node_log "$(( PODS_STARTED_MS + 2000 ))" healthy "$NOW" 1 | unkey; echo x)
  fi
  CN_LOG=${CN_LOG%x}
  RNG=$(( (saved * 7 + 13) % 2147483648 ))
}

# ---------------------------------------------------------------------------------------------
# Host views: sys/, network/, bom.json, dqlite/
# ---------------------------------------------------------------------------------------------

hm() { printf -v REPLY '%(%H:%M)T' $(( $1 / 1000 )); }

ps_ef() {
  local boot mk ins
  hm "$BOOT_MS"; boot=$REPLY; hm "$MK_START_MS"; mk=$REPLY; hm "$NOW"; ins=$REPLY
  local CN_PS="root|$(( KPID + 290 ))|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/containerd-shim-runc-v2 -namespace k8s.io -id 0e7c3a9f5b1d2e4f6a8c0b2d4e6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f -address /var/snap/microk8s/common/run/containerd.sock
65535|$(( KPID + 309 ))|$(( KPID + 290 ))|0|$mk|?|00:00:00|/pause"
  if [[ $CN_STATE == running ]]; then
    CN_PS+="
root|$(( KPID + 5101 ))|$(( KPID + 290 ))|0|$mk|?|00:00:00|/usr/local/bin/runsvdir -P /etc/service/enabled
root|$(( KPID + 5114 ))|$(( KPID + 5101 ))|0|$mk|?|00:00:00|runsv felix
root|$(( KPID + 5120 ))|$(( KPID + 5114 ))|1|$mk|?|00:00:09|calico-node -felix
root|$(( KPID + 5116 ))|$(( KPID + 5101 ))|0|$mk|?|00:00:00|runsv monitor-addresses
root|$(( KPID + 5123 ))|$(( KPID + 5116 ))|0|$mk|?|00:00:00|calico-node -monitor-addresses
root|$(( KPID + 5117 ))|$(( KPID + 5101 ))|0|$mk|?|00:00:00|runsv allocate-tunnel-addrs
root|$(( KPID + 5125 ))|$(( KPID + 5117 ))|0|$mk|?|00:00:00|calico-node -allocate-tunnel-addrs
root|$(( KPID + 5118 ))|$(( KPID + 5101 ))|0|$mk|?|00:00:00|runsv node-status-reporter
root|$(( KPID + 5127 ))|$(( KPID + 5118 ))|0|$mk|?|00:00:00|calico-node -status-reporter"
  fi
  printf '%-8s %7s %7s %2s %5s %-8s %8s %s\n' UID PID PPID C STIME TTY TIME CMD
  local p
  local kt=(kthreadd pool_workqueue_release kworker/R-rcu_g kworker/R-rcu_p kworker/R-slub_ kworker/R-netns kworker/0:0H-events_highpri kworker/R-mm_pe rcu_tasks_kthread rcu_tasks_rude_kthread rcu_tasks_trace_kthread ksoftirqd/0 rcu_preempt migration/0 idle_inject/0 cpuhp/0 cpuhp/1 idle_inject/1 migration/1 ksoftirqd/1 kdevtmpfs kauditd khungtaskd oom_reaper kcompactd0 ksmd khugepaged kswapd0 ecryptfs-kthread scsi_eh_0 jbd2/dm-0-8)
  printf '%-8s %7s %7s %2s %5s %-8s %8s %s\n' root 1 0 0 "$boot" '?' 00:00:04 '/sbin/init'
  local pid=2
  for p in "${kt[@]}"; do
    printf '%-8s %7s %7s %2s %5s %-8s %8s %s\n' root "$pid" "$(( pid == 2 ? 0 : 2 ))" 0 "$boot" '?' 00:00:00 "[$p]"
    pid=$(( pid + 1 + (pid > 20 ? 13 : 0) ))
  done
  cat <<EOF | while IFS='|' read -r u pi pp c st tty tm cmd; do printf '%-8s %7s %7s %2s %5s %-8s %8s %s\n' "$u" "$pi" "$pp" "$c" "$st" "$tty" "$tm" "$cmd"; done
root|384|1|0|$boot|?|00:00:01|/usr/lib/systemd/systemd-journald
root|441|1|0|$boot|?|00:00:00|/usr/lib/systemd/systemd-udevd
systemd+|588|1|0|$boot|?|00:00:00|/usr/lib/systemd/systemd-networkd
systemd+|601|1|0|$boot|?|00:00:00|/usr/lib/systemd/systemd-resolved
systemd+|603|1|0|$boot|?|00:00:00|/usr/lib/systemd/systemd-timesyncd
root|772|1|0|$boot|?|00:00:00|/usr/sbin/cron -f -P
message+|774|1|0|$boot|?|00:00:00|@dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only
syslog|790|1|0|$boot|?|00:00:00|/usr/sbin/rsyslogd -n -iNONE
root|796|1|0|$boot|?|00:00:00|/usr/lib/systemd/systemd-logind
root|905|1|0|$boot|?|00:00:02|/usr/lib/snapd/snapd
root|1002|1|0|$boot|?|00:00:00|sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups
root|1010|1|0|$boot|tty1|00:00:00|/sbin/agetty -o -p -- \u --noclear - linux
root|$CPID|1|1|$mk|?|00:00:21|/snap/microk8s/$MK8S_REV/bin/containerd --config /var/snap/microk8s/$MK8S_REV/args/containerd.toml --root /var/snap/microk8s/common/var/lib/containerd --state /var/snap/microk8s/common/run/containerd --address /var/snap/microk8s/common/run/containerd.sock
root|$CAPID|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/cluster-agent cluster-agent --bind 0.0.0.0:25000 --keyfile /var/snap/microk8s/$MK8S_REV/certs/server.key --certfile /var/snap/microk8s/$MK8S_REV/certs/server.crt --timeout 240
root|$AKPID|1|0|$mk|?|00:00:00|/bin/bash /snap/microk8s/$MK8S_REV/apiservice-kicker
root|$DQPID|1|2|$mk|?|00:00:26|/snap/microk8s/$MK8S_REV/bin/k8s-dqlite --storage-dir=/var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/ --listen=unix:///var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/kine.sock:12379
root|$KPID|1|8|$mk|?|00:01:39|/snap/microk8s/$MK8S_REV/kubelite --scheduler-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-scheduler --controller-manager-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-controller-manager --proxy-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-proxy --kubelet-args-file=/var/snap/microk8s/$MK8S_REV/args/kubelet --apiserver-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-apiserver --kubeconfig-file=/var/snap/microk8s/$MK8S_REV/credentials/client.config --start-control-plane=true
root|$(( KPID + 311 ))|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/containerd-shim-runc-v2 -namespace k8s.io -id 4f0e5b8c2a7d9e1f3b6c8a0d2e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f -address /var/snap/microk8s/common/run/containerd.sock
65535|$(( KPID + 336 ))|$(( KPID + 311 ))|0|$mk|?|00:00:00|/pause
root|$(( KPID + 402 ))|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/containerd-shim-runc-v2 -namespace k8s.io -id 9a2c4e6f8b0d1a3c5e7f9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a -address /var/snap/microk8s/common/run/containerd.sock
65535|$(( KPID + 427 ))|$(( KPID + 402 ))|0|$mk|?|00:00:00|/pause
root|$(( KPID + 431 ))|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/containerd-shim-runc-v2 -namespace k8s.io -id 2d4f6b8e0a1c3e5a7c9e1b3d5f7b9d1f3a5c7e9b1d3f5a7c9e2b4d6f8a0c2e4b -address /var/snap/microk8s/common/run/containerd.sock
65535|$(( KPID + 455 ))|$(( KPID + 431 ))|0|$mk|?|00:00:00|/pause
root|$(( KPID + 470 ))|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/containerd-shim-runc-v2 -namespace k8s.io -id 7b9d1f3a5c7e9b2d4f6a8c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d -address /var/snap/microk8s/common/run/containerd.sock
65535|$(( KPID + 498 ))|$(( KPID + 470 ))|0|$mk|?|00:00:00|/pause
root|$(( KPID + 503 ))|1|0|$mk|?|00:00:00|/snap/microk8s/$MK8S_REV/bin/containerd-shim-runc-v2 -namespace k8s.io -id c1e3a5b7d9f2a4c6e8b0d2f4a6c8e1b3d5f7a9c2e4b6d8f1a3c5e7b9d0f2a4c6 -address /var/snap/microk8s/common/run/containerd.sock
65535|$(( KPID + 526 ))|$(( KPID + 503 ))|0|$mk|?|00:00:00|/pause
65532|$(( KPID + 612 ))|$(( KPID + 402 ))|0|$mk|?|00:00:01|/coredns -conf /etc/coredns/Corefile
999|$(( KPID + 640 ))|$(( KPID + 431 ))|0|$mk|?|00:00:01|/usr/bin/kube-controllers
root|$(( KPID + 655 ))|$(( KPID + 470 ))|0|$mk|?|00:00:00|nginx: master process nginx -g daemon off;
101|$(( KPID + 702 ))|$(( KPID + 655 ))|0|$mk|?|00:00:00|nginx: worker process
root|$(( KPID + 661 ))|$(( KPID + 503 ))|0|$mk|?|00:00:00|nginx: master process nginx -g daemon off;
101|$(( KPID + 709 ))|$(( KPID + 661 ))|0|$mk|?|00:00:00|nginx: worker process
$CN_PS
root|$INSPECT_PID|$(( INSPECT_PID - 21 ))|0|$ins|pts/0|00:00:00|/bin/bash /snap/microk8s/$MK8S_REV/inspect.sh
root|$(( INSPECT_PID + 286 ))|$INSPECT_PID|0|$ins|pts/0|00:00:00|ps -ef
EOF
}

ip_addr() {
  cat <<EOF
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host noprefixroute 
       valid_lft forever preferred_lft forever
2: $IFACE: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether $MAC brd ff:ff:ff:ff:ff:ff
    inet $IP4/24 brd ${IP4%.*}.255 scope global $IFACE
       valid_lft forever preferred_lft forever
    inet6 $IP6/64 scope global 
       valid_lft forever preferred_lft forever
    inet6 $LL6/64 scope link 
       valid_lft forever preferred_lft forever
3: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ether 66:c1:2a:9f:3e:b7 brd ff:ff:ff:ff:ff:ff
    inet $CN_TUN4/32 scope global vxlan.calico
       valid_lft forever preferred_lft forever
    inet6 fe80::64c1:2aff:fe9f:3eb7/64 scope link 
       valid_lft forever preferred_lft forever
4: vxlan-v6.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1430 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ether 66:2e:7d:40:c9:15 brd ff:ff:ff:ff:ff:ff
    inet6 $CN_TUN6/128 scope global 
       valid_lft forever preferred_lft forever
    inet6 fe80::642e:7dff:fe40:c915/64 scope link 
       valid_lft forever preferred_lft forever
EOF
  local i n=7 ifs=("$DNS_IF" "$KC_IF" "${WEB_IFS[@]}") ns=(8f1c2b7d-40a3-e6d2-b95f-1c7a3e9d0b42 2b9e4d6f-81c0-a3e7-5d2b-e0f4c6a8b193 d4a6c8e0-f2b1-c3d5-e7f9-a1b3c5d7e9f0 61e3a5c7-b9d2-f4a6-c8e0-b2d4f6a8c1e3)
  for i in 0 1 2 3; do
    cat <<EOF
$n: ${ifs[i]}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000
    link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns cni-${ns[i]}
    inet6 fe80::ecee:eeff:feee:eeee/64 scope link 
       valid_lft forever preferred_lft forever
EOF
    n=$(( n + 1 ))
  done
}

ip_route() {
  local base=${CN_TUN4%.*}.${CN_TUN4##*.}
  cat <<EOF
default via $GW4 dev $IFACE proto static 
blackhole $base/26 proto 80 
$DNS_IP4 dev $DNS_IF scope link 
$KC_IP4 dev $KC_IF scope link 
${WEB_IP4[0]} dev ${WEB_IFS[0]} scope link 
${WEB_IP4[1]} dev ${WEB_IFS[1]} scope link 
${IP4%.*}.0/24 dev $IFACE proto kernel scope link src $IP4 
EOF
}

iptables_nat() {
  cat <<EOF
Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
 1207 81904 cali-PREROUTING  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:6gwbT8clXdHdC1b1 */
 1207 81904 KUBE-SERVICES  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
 9412  571K cali-OUTPUT  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:tVnHkvAo15HuiPy0 */
 9412  571K KUBE-SERVICES  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
 9790  598K cali-POSTROUTING  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:O3lYWMrLQYEMJtB5 */
 9790  598K KUBE-POSTROUTING  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes postrouting rules */

Chain KUBE-KUBELET-CANARY (0 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain KUBE-MARK-MASQ (7 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       all  --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x4000

Chain KUBE-NODEPORTS (1 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain KUBE-POSTROUTING (1 references)
 pkts bytes target     prot opt in     out     source               destination         
 9790  598K RETURN     all  --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4000/0x4000
    0     0 MARK       all  --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x4000
    0     0 MASQUERADE  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes service traffic requiring SNAT */ random-fully

Chain KUBE-SEP-3LQ2JYRGCDL4BQ7S (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-MARK-MASQ  all  --  *      *       $DNS_IP4         0.0.0.0/0            /* kube-system/kube-dns:dns-tcp */
    0     0 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kube-system/kube-dns:dns-tcp */ tcp to:$DNS_IP4:53

Chain KUBE-SEP-M5QJ4MXE6SDGGW4Q (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-MARK-MASQ  all  --  *      *       $IP4          0.0.0.0/0            /* default/kubernetes:https */
   12   720 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/kubernetes:https */ tcp to:$IP4:16443

Chain KUBE-SEP-UXVZ5M2N4QAJ6DTR (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-MARK-MASQ  all  --  *      *       $DNS_IP4         0.0.0.0/0            /* kube-system/kube-dns:dns */
    4   312 DNAT       udp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kube-system/kube-dns:dns */ udp to:$DNS_IP4:53

Chain KUBE-SERVICES (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    4   312 KUBE-SVC-TCOU7JCQXEZGVUNU  udp  --  *      *       0.0.0.0/0            10.152.183.10        /* kube-system/kube-dns:dns cluster IP */ udp dpt:53
    0     0 KUBE-SVC-ERIFXISQEP7F7OF4  tcp  --  *      *       0.0.0.0/0            10.152.183.10        /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:53
    0     0 KUBE-SVC-JD5MR3NA4I4DYORP  tcp  --  *      *       0.0.0.0/0            10.152.183.10        /* kube-system/kube-dns:metrics cluster IP */ tcp dpt:9153
   12   720 KUBE-SVC-NPX46M4PTMTKRN6Y  tcp  --  *      *       0.0.0.0/0            10.152.183.1         /* default/kubernetes:https cluster IP */ tcp dpt:443
    0     0 KUBE-SVC-LOLE4ISW44XBNF3G  tcp  --  *      *       0.0.0.0/0            $WEB_SVC_IP       /* default/web cluster IP */ tcp dpt:80
  402 24120 KUBE-NODEPORTS  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes service nodeports; NOTE: this must be the last rule in this chain */ ADDRTYPE match dst-type LOCAL

Chain KUBE-SVC-NPX46M4PTMTKRN6Y (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-MARK-MASQ  tcp  --  *      *      !10.1.0.0/16          10.152.183.1         /* default/kubernetes:https cluster IP */ tcp dpt:443
   12   720 KUBE-SEP-M5QJ4MXE6SDGGW4Q  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/kubernetes:https -> $IP4:16443 */

Chain KUBE-SVC-TCOU7JCQXEZGVUNU (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 KUBE-MARK-MASQ  udp  --  *      *      !10.1.0.0/16          10.152.183.10        /* kube-system/kube-dns:dns cluster IP */ udp dpt:53
    4   312 KUBE-SEP-UXVZ5M2N4QAJ6DTR  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kube-system/kube-dns:dns -> $DNS_IP4:53 */

Chain cali-OUTPUT (1 references)
 pkts bytes target     prot opt in     out     source               destination         
 9412  571K cali-fip-dnat  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:GBTAv2p5CwevEyJm */

Chain cali-POSTROUTING (1 references)
 pkts bytes target     prot opt in     out     source               destination         
 9790  598K cali-fip-snat  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:Z-c7XtVd2Bq7s_hA */
 9790  598K cali-nat-outgoing  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:nYKhEzDlr11Jccal */
    0     0 MASQUERADE  all  --  *      vxlan.calico  0.0.0.0/0            0.0.0.0/0            /* cali:e9dnSgSVNmIcpVhP */ ADDRTYPE match src-type !LOCAL limit-out ADDRTYPE match src-type LOCAL random-fully

Chain cali-PREROUTING (1 references)
 pkts bytes target     prot opt in     out     source               destination         
 1207 81904 cali-fip-dnat  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:r6XmIziWUJsdOK6Z */

Chain cali-fip-dnat (2 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain cali-fip-snat (1 references)
 pkts bytes target     prot opt in     out     source               destination         

Chain cali-nat-outgoing (1 references)
 pkts bytes target     prot opt in     out     source               destination         
   38  2611 MASQUERADE  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* cali:flqWnvo8yq4ULQLa */ match-set cali40masq-ipam-pools src ! match-set cali40all-ipam-pools dst random-fully
EOF
}

iptables_S() {
  cat <<EOF
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N KUBE-EXTERNAL-SERVICES
-N KUBE-FIREWALL
-N KUBE-FORWARD
-N KUBE-KUBELET-CANARY
-N KUBE-NODEPORTS
-N KUBE-PROXY-CANARY
-N KUBE-PROXY-FIREWALL
-N KUBE-SERVICES
-N cali-FORWARD
-N cali-INPUT
-N cali-OUTPUT
-N cali-cidr-block
-N cali-from-hep-forward
-N cali-from-host-endpoint
-N cali-from-wl-dispatch
-N cali-to-hep-forward
-N cali-to-host-endpoint
-N cali-to-wl-dispatch
-N cali-wl-to-host
-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000
-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe0000
-A cali-FORWARD -m comment --comment "cali:A_sPAO0mcxbT9mOV" -m mark --mark 0x0/0x10000 -j cali-from-hep-forward
-A cali-FORWARD -i cali+ -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -j cali-from-wl-dispatch
-A cali-FORWARD -o cali+ -m comment --comment "cali:jdEuaPBe14V2hutn" -j cali-to-wl-dispatch
-A cali-FORWARD -m comment --comment "cali:12bc6HljsMKsmfr-" -j cali-to-hep-forward
-A cali-FORWARD -m comment --comment "cali:NOSxoaGx8OIstr1z" -j cali-cidr-block
-A cali-INPUT -p udp -m comment --comment "cali:w7ud0UgQSEi_zKuQ" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT
-A cali-INPUT -p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP
-A cali-INPUT -i cali+ -m comment --comment "cali:t45BUBhpu3Wsmi1_" -g cali-wl-to-host
-A cali-INPUT -m comment --comment "cali:NOmsycyknYZaGOFf" -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-INPUT -m comment --comment "cali:Or0B7eoenKO2p8Bf" -j MARK --set-xmark 0x0/0xf0000
-A cali-INPUT -m comment --comment "cali:AmIfvPGG2lYUK6mj" -j cali-from-host-endpoint
-A cali-INPUT -m comment --comment "cali:79fWWn1SpufdO7SE" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-OUTPUT -m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-OUTPUT -o cali+ -m comment --comment "cali:69FkRTJDvD5Vu6Vl" -j RETURN
-A cali-OUTPUT -p udp -m comment --comment "cali:sSEu9yM0JwyiAe4F" -m comment --comment "Allow IPv4 VXLAN packets to other allowed hosts" -m multiport --dports 4789 -m addrtype --src-type LOCAL -m set --match-set cali40all-vxlan-net dst -j ACCEPT
-A cali-OUTPUT -m comment --comment "cali:Nd-1Yx9vP0YB9MlE" -j MARK --set-xmark 0x0/0xf0000
-A cali-OUTPUT -m comment --comment "cali:4Ia0h-EtkbeWNXMw" -m conntrack ! --ctstate DNAT -j cali-to-host-endpoint
-A cali-OUTPUT -m comment --comment "cali:-a2MvYXtFIs2wStc" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-from-wl-dispatch -m comment --comment "cali:zTj6P0TIgYvgz-md" -m comment --comment "Unknown interface" -j DROP
-A cali-to-wl-dispatch -m comment --comment "cali:7KNphB1nNHw80nIO" -m comment --comment "Unknown interface" -j DROP
-A cali-wl-to-host -m comment --comment "cali:Ee9Sbo10IpVujdIY" -j cali-from-wl-dispatch
-A cali-wl-to-host -m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT
EOF
}

iptables_L() {
  cat <<'EOF'
Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
cali-INPUT  all  --  anywhere             anywhere             /* cali:Cz_u1IQiXIMmKD4c */
KUBE-PROXY-FIREWALL  all  --  anywhere             anywhere             ctstate NEW /* kubernetes load balancer firewall */
KUBE-NODEPORTS  all  --  anywhere             anywhere             /* kubernetes health check service ports */
KUBE-EXTERNAL-SERVICES  all  --  anywhere             anywhere             ctstate NEW /* kubernetes externally-visible service portals */
KUBE-FIREWALL  all  --  anywhere             anywhere            

Chain FORWARD (policy ACCEPT)
target     prot opt source               destination         
cali-FORWARD  all  --  anywhere             anywhere             /* cali:wUHhoiAYhphO9Mso */
KUBE-PROXY-FIREWALL  all  --  anywhere             anywhere             ctstate NEW /* kubernetes load balancer firewall */
KUBE-FORWARD  all  --  anywhere             anywhere             /* kubernetes forwarding rules */
KUBE-SERVICES  all  --  anywhere             anywhere             ctstate NEW /* kubernetes service portals */
KUBE-EXTERNAL-SERVICES  all  --  anywhere             anywhere             ctstate NEW /* kubernetes externally-visible service portals */
ACCEPT     all  --  anywhere             anywhere             /* cali:S93hcgKJrXEqnTfs */ /* Policy explicitly accepted packet. */ mark match 0x10000/0x10000
MARK       all  --  anywhere             anywhere             /* cali:mp77cMpurHhyjLrM */ MARK or 0x10000

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
cali-OUTPUT  all  --  anywhere             anywhere             /* cali:tVnHkvAo15HuiPy0 */
KUBE-PROXY-FIREWALL  all  --  anywhere             anywhere             ctstate NEW /* kubernetes load balancer firewall */
KUBE-SERVICES  all  --  anywhere             anywhere             ctstate NEW /* kubernetes service portals */
KUBE-FIREWALL  all  --  anywhere             anywhere            

Chain KUBE-EXTERNAL-SERVICES (2 references)
target     prot opt source               destination         

Chain KUBE-FIREWALL (2 references)
target     prot opt source               destination         
DROP       all  -- !localhost/8          localhost/8          /* block incoming localnet connections */ ! ctstate RELATED,ESTABLISHED,DNAT

Chain KUBE-FORWARD (1 references)
target     prot opt source               destination         
DROP       all  --  anywhere             anywhere             ctstate INVALID nfacct-name  ct_state_invalid_dropped_pkts
ACCEPT     all  --  anywhere             anywhere             /* kubernetes forwarding rules */ mark match 0x4000/0x4000
ACCEPT     all  --  anywhere             anywhere             /* kubernetes forwarding conntrack rule */ ctstate RELATED,ESTABLISHED

Chain KUBE-KUBELET-CANARY (0 references)
target     prot opt source               destination         

Chain KUBE-NODEPORTS (1 references)
target     prot opt source               destination         

Chain KUBE-PROXY-CANARY (0 references)
target     prot opt source               destination         

Chain KUBE-PROXY-FIREWALL (3 references)
target     prot opt source               destination         

Chain KUBE-SERVICES (2 references)
target     prot opt source               destination         

Chain cali-FORWARD (1 references)
target     prot opt source               destination         
MARK       all  --  anywhere             anywhere             /* cali:vjrMJCRpqwy5oRoX */ MARK and 0xfff1ffff
cali-from-hep-forward  all  --  anywhere             anywhere             /* cali:A_sPAO0mcxbT9mOV */ mark match 0x0/0x10000
cali-from-wl-dispatch  all  --  anywhere             anywhere             /* cali:8ZoYfO5HKXWbB3pk */
cali-to-wl-dispatch  all  --  anywhere             anywhere             /* cali:jdEuaPBe14V2hutn */
cali-to-hep-forward  all  --  anywhere             anywhere             /* cali:12bc6HljsMKsmfr- */
cali-cidr-block  all  --  anywhere             anywhere             /* cali:NOSxoaGx8OIstr1z */

Chain cali-INPUT (1 references)
target     prot opt source               destination         
ACCEPT     udp  --  anywhere             anywhere             /* cali:w7ud0UgQSEi_zKuQ */ /* Allow IPv4 VXLAN packets from allowed hosts */ multiport dports 4789 match-set cali40all-vxlan-net src ADDRTYPE match dst-type LOCAL
DROP       udp  --  anywhere             anywhere             /* cali:4cgmbdWsLmozYhJh */ /* Drop IPv4 VXLAN packets from non-allowed hosts */ multiport dports 4789 ADDRTYPE match dst-type LOCAL
cali-wl-to-host  all  --  anywhere             anywhere            [goto]  /* cali:t45BUBhpu3Wsmi1_ */
ACCEPT     all  --  anywhere             anywhere             /* cali:NOmsycyknYZaGOFf */ mark match 0x10000/0x10000
MARK       all  --  anywhere             anywhere             /* cali:Or0B7eoenKO2p8Bf */ MARK and 0xfff0ffff
cali-from-host-endpoint  all  --  anywhere             anywhere             /* cali:AmIfvPGG2lYUK6mj */
ACCEPT     all  --  anywhere             anywhere             /* cali:79fWWn1SpufdO7SE */ /* Host endpoint policy accepted packet. */ mark match 0x10000/0x10000
EOF
}

snap_list() { # [all]   (the publisher column is padded by display width: ✓ is 3 bytes)
  printf '%-9s %-14s %-6s %-14s %-11s %s\n' Name Version Rev Tracking Publisher Notes
  printf '%-9s %-14s %-6s %-14s %-13s %s\n' core20 20250407 2571 latest/stable 'canonical✓' base
  if [[ ${1:-} == all ]]; then
    printf '%-9s %-14s %-6s %-14s %-13s %s\n' microk8s "$MK8S_OLDVER" "$MK8S_OLDREV" 1.32/stable 'canonical✓' disabled,classic
  fi
  printf '%-9s %-14s %-6s %-14s %-13s %s\n' microk8s "$MK8S_VER" "$MK8S_REV" 1.32/stable 'canonical✓' classic \
    snapd 2.68.4 24505 latest/stable 'canonical✓' snapd
}

bom_json() {
  cat <<'EOF'
{
  "microk8s": {
    "version": "HEAD",
    "revision": "0ad8e4a3b7f2c91d5e6a08b4c3f1d2e7a9b5c604"
  },
  "tools": {
    "go": [
      "go version go1.23.6 linux/amd64"
    ],
    "gcc": [
      "gcc (Ubuntu 9.4.0-1ubuntu1~20.04.2) 9.4.0",
      "Copyright (C) 2019 Free Software Foundation, Inc.",
      "This is free software; see the source for copying conditions.  There is NO",
      "warranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE."
    ],
    "python": [
      "Python 3.8.10 (default, Mar 18 2025, 20:04:55) ",
      "[GCC 9.4.0]"
    ],
    "python-requirements": [
      "click==8.1.7",
      "jsonschema==4.17.3",
      "netifaces==0.11.0",
      "PyYAML==6.0.1",
      "requests==2.31.0",
      "requests-unixsocket==0.3.0"
    ]
  },
  "components": {
    "cluster-agent": {
      "repository": "https://github.com/canonical/microk8s-cluster-agent",
      "version": "main",
      "revision": "e1c4b7a20d5f63c8b9a2e0f7d1c3b5a8e6f4d2c0",
      "patches": [],
      "strict-patches": []
    },
    "cni": {
      "repository": "https://github.com/containernetworking/plugins",
      "version": "v1.6.2",
      "revision": "7f756b411efc3d3730c707e2cc1f2baf1a66e28c",
      "patches": [
        "default"
      ],
      "strict-patches": []
    },
    "containerd": {
      "repository": "https://github.com/containerd/containerd",
      "version": "v1.7.27",
      "revision": "05044ec0a9a75232cad458027ca83437aae3f4da",
      "patches": [
        "default"
      ],
      "strict-patches": []
    },
    "k8s-dqlite": {
      "repository": "https://github.com/canonical/k8s-dqlite",
      "version": "v1.3.1",
      "revision": "3f2d9a1b7c6e5d4f8a0b2c9e1d3f5a7b6c8e0d2f",
      "patches": [],
      "strict-patches": []
    },
    "kubernetes": {
      "repository": "https://github.com/kubernetes/kubernetes",
      "version": "v1.32.3",
      "revision": "32cc146f75aad04beaaa245a7157eb35063a9f99",
      "patches": [
        "default",
        "v1.32.0"
      ],
      "strict-patches": []
    },
    "runc": {
      "repository": "https://github.com/opencontainers/runc",
      "version": "v1.2.5",
      "revision": "59923ef18c98053ddb1acf23ecba10344056c28e",
      "patches": [
        "default"
      ],
      "strict-patches": [
        "0001-apparmor-change-profile-immediately-not-on-exec.patch",
        "0002-setns_init_linux-set-the-NNP-flag-after-changing-the.patch",
        "0003-standard_init_linux-change-AppArmor-profile-as-late-.patch"
      ]
    }
  },
  "addons": {
    "community": {
      "repository": "https://github.com/canonical/microk8s-community-addons",
      "version": "1.32",
      "revision": "b8d1e5f2a4c7093e6d2b1a5c8f0e3d7b9a4c6e12"
    },
    "core": {
      "repository": "https://github.com/canonical/microk8s-core-addons",
      "version": "1.32",
      "revision": "c6a2f9e1d4b7358a0e2c5d8f1b3a6e9c7d0f4b21"
    }
  }
}
EOF
}

systemctl_status() { # UNIT PID CMD SINCE-MS JOURNAL-TEXT-FILE TASKS MEM CPU
  local since ago
  local exe=${3%% *}; exe=${exe##*/}
  printf -v since '%(%a %Y-%m-%d %H:%M:%S UTC)T' $(( $4 / 1000 ))
  ago=$(( (NOW - $4) / 60000 ))
  cat <<EOF
● snap.microk8s.daemon-$1.service - Service for snap application microk8s.daemon-$1
     Loaded: loaded (/etc/systemd/system/snap.microk8s.daemon-$1.service; enabled; preset: enabled)
     Active: active (running) since $since; ${ago}min ago
   Main PID: $2 ($exe)
      Tasks: $6 (limit: 9367)
     Memory: $7
        CPU: $8
     CGroup: /system.slice/snap.microk8s.daemon-$1.service
             └─$2 $3

EOF
  grep -v '^-- Boot' "$5" | tail -n 10
}

dqlite_dir() { # DIR
  w "$1/cluster.yaml" <<EOF
- Address: $IP4:19001
  ID: 3297041220608546238
  Role: 0
EOF
  w "$1/info.yaml" <<EOF
Address: $IP4:19001
ID: 3297041220608546238
Role: 0
EOF
  local d; printf -v d '%(%b %e %H:%M)T' $(( NODE_CREATED_MS / 1000 ))
  local n; printf -v n '%(%b %e %H:%M)T' $(( (NOW - 60000) / 1000 ))
  w "$1/list.out" <<EOF
total 61M
-rw-rw---- 1 root microk8s 1.9K $d cluster.crt
-rw-rw---- 1 root microk8s 3.2K $d cluster.key
-rw-rw---- 1 root microk8s   63 $n cluster.yaml
-rw-rw---- 1 root microk8s    2 $d failure-domain
-rw-rw---- 1 root microk8s   57 $d info.yaml
srw-rw---- 1 root microk8s    0 $n kine.sock:12379
-rw-rw---- 1 root microk8s  32 $n metadata1
-rw-rw---- 1 root microk8s  32 $n metadata2
-rw-rw---- 1 root microk8s 7.9M $n 0000000000581237-0000000000581794
-rw-rw---- 1 root microk8s 8.0M $n open-1
-rw-rw---- 1 root microk8s 8.0M $n open-2
-rw-rw---- 1 root microk8s 8.0M $n open-3
-rw-rw---- 1 root microk8s  29M $n snapshot-1-580736-9718024
-rw-rw---- 1 root microk8s   64 $n snapshot-1-580736-9718024.meta
EOF
}

sys_files() { # DIR
  local d=$1 up upm
  upm=$(( (NOW - BOOT_MS) / 60000 ))
  if (( upm < 60 )); then up="$upm min"; else up="$(( upm / 60 )):$(printf %02d $(( upm % 60 )))"; fi
  ps_ef > "$d/ps"
  snap_list > "$d/snap-list"
  w "$d/snap-version" <<EOF
snap          2.68.4+ubuntu24.04
snapd         2.68.4+ubuntu24.04
series        16
ubuntu        24.04
kernel        $KREL
architecture  amd64
EOF
  echo kvm > "$d/vm_name"
  w "$d/disk_usage" <<EOF
/dev/mapper/ubuntu--vg-ubuntu--lv   47G   19G   26G  42% /
/dev/vda2                          2.0G  196M  1.6G  11% /boot
/dev/loop0                          64M   64M     0 100% /snap/core20/2571
/dev/loop1                         167M  167M     0 100% /snap/microk8s/$MK8S_OLDREV
/dev/loop2                         168M  168M     0 100% /snap/microk8s/$MK8S_REV
/dev/loop4                          39M   39M     0 100% /snap/snapd/24505
EOF
  w "$d/memory_usage" <<EOF
               total        used        free      shared  buff/cache   available
Mem:            $MEM_TOTAL        2694         861           5        4683        5247
Swap:           4095           0        4095
EOF
  local nowhms; printf -v nowhms '%(%H:%M:%S)T' $(( NOW / 1000 ))
  echo " $nowhms up $up,  2 users,  load average: 0.62, 0.71, 0.66" > "$d/uptime"
  w "$d/lsb_release" <<'EOF'
No LSB modules are available.
Distributor ID:	Ubuntu
Description:	Ubuntu 24.04.2 LTS
Release:	24.04
Codename:	noble
EOF
  w "$d/openssl" <<'EOF'
OpenSSL 3.0.13 30 Jan 2024 (Library: OpenSSL 3.0.13 30 Jan 2024)
OPENSSLDIR: "/usr/lib/ssl"
ENGINESDIR: "/usr/lib/x86_64-linux-gnu/engines-3"
EOF
  echo 'fs.aio-max-nr = 1048576' > "$d/aio-max-nr"
  echo 'fs.aio-nr = 0' > "$d/aio-nr"
  echo 'fs.inotify.max_user_instances = 1024' > "$d/inotify_max_user_instances"
  echo 'fs.inotify.max_user_watches = 1048576' > "$d/inotify_max_user_watches"
}

network_files() { # DIR
  ip_addr > "$1/ip-addr"
  ip_route > "$1/ip-route"
  iptables_nat > "$1/iptables"
  iptables_S > "$1/iptables-S"
  iptables_L > "$1/iptables-L"
  w "$1/ss" <<EOF
Netid State  Recv-Q Send-Q                                       Local Address:Port  Peer Address:PortProcess                                      
u_str LISTEN 0      4096 /var/snap/microk8s/common/run/containerd.sock 21874 * 0 users:(("containerd",pid=$CPID,fd=9))
u_str LISTEN 0      4096 /var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/kine.sock:12379 22011 * 0 users:(("k8s-dqlite",pid=$DQPID,fd=10))
tcp   LISTEN 0      4096                                             127.0.0.1:10248      0.0.0.0:*    users:(("kubelite",pid=$KPID,fd=71))
tcp   LISTEN 0      4096                                             127.0.0.1:10249      0.0.0.0:*    users:(("kubelite",pid=$KPID,fd=29))
tcp   LISTEN 0      4096                                             127.0.0.1:10256      0.0.0.0:*    users:(("kubelite",pid=$KPID,fd=27))
tcp   LISTEN 0      4096                                             127.0.0.1:9099       0.0.0.0:*    users:(("calico-node",pid=$(( KPID + 5120 )),fd=7))
tcp   LISTEN 0      4096                                                     *:19001            *:*    users:(("k8s-dqlite",pid=$DQPID,fd=8))
tcp   LISTEN 0      4096                                                     *:25000            *:*    users:(("cluster-agent",pid=$CAPID,fd=3))
tcp   LISTEN 0      4096                                                     *:16443            *:*    users:(("kubelite",pid=$KPID,fd=8))
tcp   LISTEN 0      4096                                                     *:10250            *:*    users:(("kubelite",pid=$KPID,fd=33))
tcp   LISTEN 0      4096                                                     *:10259            *:*    users:(("kubelite",pid=$KPID,fd=12))
tcp   LISTEN 0      4096                                                     *:10257            *:*    users:(("kubelite",pid=$KPID,fd=15))
tcp   LISTEN 0      4096                                                  [::]:22            [::]:*    users:(("sshd",pid=1002,fd=4))
tcp   LISTEN 0      4096                                               0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=1002,fd=3))
EOF
  [[ $CN_STATE == crashloop ]] && sed -i '/calico-node/d' "$1/ss"
  return 0
}

# ---------------------------------------------------------------------------------------------
# Scenarios: every stream of one node, keyed, into a work directory
# ---------------------------------------------------------------------------------------------

setup_incident() {
  profile_incident; profile_workloads; build_payloads
  seed 5226
  CLUSTER_GUID=6d4f1a2b8c3e4f5a9b0c7d1e2f3a4b5c
  SHUTDOWN_TS=2025-05-26T17:50:03Z
  LAST_BOOT_PODS=2025-05-19T08:16:40Z; LAST_SHUTDOWN=2025-05-26T17:50:04Z
  at 17:52:08.412; BOOT_MS=$REPLY
  at 18:06:25.211; MK_START_MS=$REPLY
  KSTART_US=$(( (MK_START_MS - BOOT_MS) * 1000 ))
  WEB_SVC_IP=10.152.183.214; RV=1284412; INSPECT_PID=9833
  LL6=fe80::5054:ff:fe8e:314c
  CN_STATE=crashloop
}

setup_healthy() {
  profile_healthy; profile_workloads; build_payloads
  seed 6011
  CLUSTER_GUID=a91c3e5d7f2b4c6e8a0d1f3b5c7e9a2d
  SHUTDOWN_TS=2025-06-01T10:00:52Z
  LAST_BOOT_PODS=2025-05-29T22:41:07Z; LAST_SHUTDOWN=2025-06-01T10:00:53Z
  at 10:01:18.906; BOOT_MS=$REPLY
  at 10:01:39.870; MK_START_MS=$REPLY
  KSTART_US=$(( (MK_START_MS - BOOT_MS) * 1000 ))
  WEB_SVC_IP=10.152.183.57; RV=874215; INSPECT_PID=4431
  LL6=fe80::5054:ff:fe3d:a791
  CN_STATE=running
}

# Generates every keyed stream of the current node into $1 (no pipes: arrays must survive).
gen_streams() { # DIR MODE END
  local d=$1 mode=$2 tend=$3
  if [[ $mode == incident ]]; then
    kubelite_journal_incident 1 "$tend" > "$d/kubelite.k"
  else
    kubelite_journal_healthy "$tend" > "$d/kubelite.k"
  fi
  containerd_journal "$mode" "$tend" > "$d/containerd.k"
  dqlite_journal "$mode" > "$d/dqlite.k"
  agent_journal "$mode" > "$d/agent.k"
  kicker_journal "$mode" > "$d/kicker.k"
  system_journal "$mode" "$tend" > "$d/system.k"
  scenario
}

# Keyed stream -> text, dropping lines after END (an inspect/sos run stops the clock).
upto() { awk -F'\t' -v e="$1" '($1 + 0) <= e' ; }

unit_journal() { # KEYED-FILE END
  upto "$2" < "$1" | merge
}
full_journal() { # DIR END: every unit interleaved, one boot separator
  local d=$1
  { cat "$d/system.k"; grep -hv $'\t-- Boot ' "$d/kubelite.k" "$d/containerd.k" "$d/dqlite.k" "$d/agent.k" "$d/kicker.k"; } | upto "$2" | merge
}
mk8s_journal() { # DIR END: `journalctl --unit snap.microk8s.*`
  local d=$1
  { grep -h $'\t-- Boot ' "$d/kubelite.k" | head -n 1 || true; grep -hv $'\t-- Boot ' "$d/kubelite.k" "$d/containerd.k" "$d/dqlite.k" "$d/agent.k" "$d/kicker.k"; } | upto "$2" | merge
}

# ---------------------------------------------------------------------------------------------
# sos-only content
# ---------------------------------------------------------------------------------------------

dpkg_log() {
  if [[ $NODE == node1 ]]; then
    local pk=(linux-modules-6.8.0-57-generic linux-image-6.8.0-57-generic linux-modules-extra-6.8.0-57-generic linux-headers-6.8.0-57 linux-headers-6.8.0-57-generic)
    cat <<'EOF'
2025-05-19 06:41:12 startup archives unpack
2025-05-19 06:41:13 upgrade libssl3t64:amd64 3.0.13-0ubuntu3.4 3.0.13-0ubuntu3.5
2025-05-19 06:41:13 status half-configured libssl3t64:amd64 3.0.13-0ubuntu3.4
2025-05-19 06:41:13 status unpacked libssl3t64:amd64 3.0.13-0ubuntu3.4
2025-05-19 06:41:13 status half-installed libssl3t64:amd64 3.0.13-0ubuntu3.4
2025-05-19 06:41:13 status unpacked libssl3t64:amd64 3.0.13-0ubuntu3.5
2025-05-19 06:41:13 startup packages configure
2025-05-19 06:41:13 configure libssl3t64:amd64 3.0.13-0ubuntu3.5 <none>
2025-05-19 06:41:13 status unpacked libssl3t64:amd64 3.0.13-0ubuntu3.5
2025-05-19 06:41:13 status half-configured libssl3t64:amd64 3.0.13-0ubuntu3.5
2025-05-19 06:41:13 status installed libssl3t64:amd64 3.0.13-0ubuntu3.5
2025-05-19 06:41:13 trigproc libc-bin:amd64 2.39-0ubuntu8.4 <none>
2025-05-19 06:41:13 status half-configured libc-bin:amd64 2.39-0ubuntu8.4
2025-05-19 06:41:13 status installed libc-bin:amd64 2.39-0ubuntu8.4
2025-05-26 17:40:44 startup archives unpack
EOF
    local t=17:40:45 p
    for p in "${pk[@]}"; do
      printf '2025-05-26 %s install %s:amd64 <none> 6.8.0-57.59\n2025-05-26 %s status half-installed %s:amd64 6.8.0-57.59\n2025-05-26 %s status unpacked %s:amd64 6.8.0-57.59\n' "$t" "$p" "$t" "$p" "$t" "$p"
      t=17:40:5$(( ${#p} % 9 ))
    done
    cat <<'EOF'
2025-05-26 17:40:58 upgrade linux-headers-generic:amd64 6.8.0-55.57 6.8.0-57.59
2025-05-26 17:40:58 status half-configured linux-headers-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status unpacked linux-headers-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status half-installed linux-headers-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status unpacked linux-headers-generic:amd64 6.8.0-57.59
2025-05-26 17:40:58 upgrade linux-image-generic:amd64 6.8.0-55.57 6.8.0-57.59
2025-05-26 17:40:58 status half-configured linux-image-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status unpacked linux-image-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status half-installed linux-image-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status unpacked linux-image-generic:amd64 6.8.0-57.59
2025-05-26 17:40:58 upgrade linux-generic:amd64 6.8.0-55.57 6.8.0-57.59
2025-05-26 17:40:58 status half-configured linux-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status unpacked linux-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status half-installed linux-generic:amd64 6.8.0-55.57
2025-05-26 17:40:58 status unpacked linux-generic:amd64 6.8.0-57.59
2025-05-26 17:40:59 startup packages configure
2025-05-26 17:40:59 configure linux-modules-6.8.0-57-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:40:59 status unpacked linux-modules-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:40:59 status half-configured linux-modules-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:00 status installed linux-modules-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:00 configure linux-image-6.8.0-57-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:00 status unpacked linux-image-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:00 status half-configured linux-image-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:03 status installed linux-image-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:03 configure linux-modules-extra-6.8.0-57-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:03 status unpacked linux-modules-extra-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:03 status half-configured linux-modules-extra-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:05 status installed linux-modules-extra-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:05 configure linux-image-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:05 status unpacked linux-image-generic:amd64 6.8.0-57.59
2025-05-26 17:41:05 status half-configured linux-image-generic:amd64 6.8.0-57.59
2025-05-26 17:41:05 status installed linux-image-generic:amd64 6.8.0-57.59
2025-05-26 17:41:05 configure linux-headers-6.8.0-57:all 6.8.0-57.59 <none>
2025-05-26 17:41:05 status unpacked linux-headers-6.8.0-57:all 6.8.0-57.59
2025-05-26 17:41:05 status half-configured linux-headers-6.8.0-57:all 6.8.0-57.59
2025-05-26 17:41:05 status installed linux-headers-6.8.0-57:all 6.8.0-57.59
2025-05-26 17:41:05 configure linux-headers-6.8.0-57-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:05 status unpacked linux-headers-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:05 status half-configured linux-headers-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 status installed linux-headers-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 configure linux-headers-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:06 status unpacked linux-headers-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 status half-configured linux-headers-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 status installed linux-headers-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 configure linux-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:06 status unpacked linux-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 status half-configured linux-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 status installed linux-generic:amd64 6.8.0-57.59
2025-05-26 17:41:06 trigproc linux-image-6.8.0-57-generic:amd64 6.8.0-57.59 <none>
2025-05-26 17:41:06 status half-configured linux-image-6.8.0-57-generic:amd64 6.8.0-57.59
2025-05-26 17:41:58 status installed linux-image-6.8.0-57-generic:amd64 6.8.0-57.59
EOF
  else
    cat <<'EOF'
2025-06-01 06:24:51 startup archives unpack
2025-06-01 06:24:52 upgrade libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.2 2.9.14+dfsg-1.3ubuntu3.3
2025-06-01 06:24:52 status half-configured libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.2
2025-06-01 06:24:52 status unpacked libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.2
2025-06-01 06:24:52 status half-installed libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.2
2025-06-01 06:24:52 status unpacked libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.3
2025-06-01 06:24:52 startup packages configure
2025-06-01 06:24:52 configure libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.3 <none>
2025-06-01 06:24:52 status unpacked libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.3
2025-06-01 06:24:52 status half-configured libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.3
2025-06-01 06:24:52 status installed libxml2:amd64 2.9.14+dfsg-1.3ubuntu3.3
2025-06-01 06:24:52 trigproc libc-bin:amd64 2.39-0ubuntu8.4 <none>
2025-06-01 06:24:52 status half-configured libc-bin:amd64 2.39-0ubuntu8.4
2025-06-01 06:24:53 status installed libc-bin:amd64 2.39-0ubuntu8.4
EOF
  fi
}

apt_history() {
  if [[ $NODE == node1 ]]; then
    cat <<'EOF'

Start-Date: 2025-05-19  06:41:10
Commandline: /usr/bin/unattended-upgrade
Upgrade: libssl3t64:amd64 (3.0.13-0ubuntu3.4, 3.0.13-0ubuntu3.5)
End-Date: 2025-05-19  06:41:14

Start-Date: 2025-05-26  17:40:21
Commandline: apt full-upgrade -y
Requested-By: ubuntu (1000)
Install: linux-headers-6.8.0-57-generic:amd64 (6.8.0-57.59, automatic), linux-modules-extra-6.8.0-57-generic:amd64 (6.8.0-57.59, automatic), linux-image-6.8.0-57-generic:amd64 (6.8.0-57.59, automatic), linux-modules-6.8.0-57-generic:amd64 (6.8.0-57.59, automatic), linux-headers-6.8.0-57:amd64 (6.8.0-57.59, automatic)
Upgrade: linux-headers-generic:amd64 (6.8.0-55.57, 6.8.0-57.59), linux-image-generic:amd64 (6.8.0-55.57, 6.8.0-57.59), linux-generic:amd64 (6.8.0-55.57, 6.8.0-57.59)
End-Date: 2025-05-26  17:42:07
EOF
  else
    cat <<'EOF'

Start-Date: 2025-06-01  06:24:50
Commandline: /usr/bin/unattended-upgrade
Upgrade: libxml2:amd64 (2.9.14+dfsg-1.3ubuntu3.2, 2.9.14+dfsg-1.3ubuntu3.3)
End-Date: 2025-06-01  06:24:53
EOF
  fi
}

lsmod_out() {
  cat <<'EOF'
Module                  Size  Used by
xt_MASQUERADE          16384  2
xt_set                 20480  6
ip_set_hash_net        53248  6
ip_set_hash_ip         45056  1
ip_set                 61440  3 ip_set_hash_ip,xt_set,ip_set_hash_net
vxlan                 147456  0
ip6_udp_tunnel         16384  1 vxlan
udp_tunnel             32768  1 vxlan
xt_multiport           20480  10
xt_addrtype            12288  8
xt_mark                12288  22
xt_comment             12288  131
xt_nat                 12288  9
xt_conntrack           12288  12
nft_chain_nat          12288  4
nf_nat                 61440  3 xt_nat,nft_chain_nat,xt_MASQUERADE
nf_conntrack_netlink   57344  0
nf_conntrack          196608  5 xt_conntrack,nf_nat,xt_nat,nf_conntrack_netlink,xt_MASQUERADE
nf_defrag_ipv6         24576  1 nf_conntrack
nf_defrag_ipv4         12288  1 nf_conntrack
xfrm_user              61440  1
xfrm_algo              16384  1 xfrm_user
br_netfilter           32768  0
bridge                421888  1 br_netfilter
stp                    12288  1 bridge
llc                    16384  2 bridge,stp
overlay               212992  12
xt_tcpudp              16384  4
nft_compat             20480  198
nf_tables             376832  1189 nft_compat,nft_chain_nat
nfnetlink_acct         16384  2
nfnetlink              20480  6 nft_compat,nf_conntrack_netlink,nf_tables,ip_set,nfnetlink_acct
binfmt_misc            24576  1
nls_iso8859_1          12288  1
intel_rapl_msr         20480  0
intel_rapl_common      40960  1 intel_rapl_msr
kvm_intel             487424  0
kvm                  1409024  1 kvm_intel
irqbypass              12288  1 kvm
input_leds             12288  0
joydev                 32768  0
serio_raw              20480  0
qemu_fw_cfg            20480  0
sch_fq_codel           24576  2
dm_multipath           45056  0
efi_pstore             12288  0
ip_tables              32768  0
x_tables               65536  12 xt_conntrack,xt_multiport,nft_compat,xt_tcpudp,xt_addrtype,xt_nat,xt_comment,xt_set,ip_tables,xt_MASQUERADE,xt_mark
autofs4                57344  2
btrfs                2019328  0
raid10                 73728  0
raid456               196608  0
raid1                  57344  0
raid0                  24576  0
crct10dif_pclmul       12288  1
crc32_pclmul           12288  0
virtio_net             77824  0
net_failover           20480  1 virtio_net
failover               12288  1 net_failover
virtio_blk             28672  3
psmouse               217088  0
EOF
}

dpkg_l() {
  printf '%s\n' 'Desired=Unknown/Install/Remove/Purge/Hold' \
    '| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend' \
    '|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)' \
    '||/ Name                                 Version                                 Architecture Description' \
    '+++-====================================-=======================================-============-================================================================================'
  local n v a d
  while IFS='|' read -r n v a d; do
    printf 'ii  %-36s %-39s %-12s %s\n' "$n" "$v" "$a" "$d"
  done <<EOF
adduser|3.137ubuntu1|all|add and remove users and groups
apparmor|4.0.1really4.0.1-0ubuntu0.24.04.3|amd64|user-space parser utility for AppArmor
apt|2.8.3|amd64|commandline package manager
base-files|13ubuntu10.2|amd64|Debian base system miscellaneous files
bash|5.2.21-2ubuntu4|amd64|GNU Bourne Again SHell
ca-certificates|20240203|all|Common CA certificates
cloud-init|24.4.1-0ubuntu0~24.04.3|all|initialization and customization tool for cloud instances
conntrack|1:1.4.8-1ubuntu1|amd64|Program to modify the conntrack tables
coreutils|9.4-3ubuntu6|amd64|GNU core utilities
cron|3.0pl1-184ubuntu2|amd64|process scheduling daemon
curl|8.5.0-2ubuntu10.6|amd64|command line tool for transferring data with URL syntax
dbus|1.14.10-4ubuntu4.1|amd64|simple interprocess messaging system (system message bus)
dpkg|1.22.6ubuntu6.1|amd64|Debian package management system
e2fsprogs|1.47.0-2.4~exp1ubuntu4.1|amd64|ext2/ext3/ext4 file system utilities
gzip|1.12-1ubuntu3|amd64|GNU compression utilities
iproute2|6.1.0-1ubuntu6|amd64|networking and traffic control tools
iptables|1.8.10-3ubuntu2|amd64|administration tools for packet filtering and NAT
kmod|31+20240202-2ubuntu7.1|amd64|tools for managing Linux kernel modules
libc-bin|2.39-0ubuntu8.4|amd64|GNU C Library: Binaries
libip4tc2:amd64|1.8.10-3ubuntu2|amd64|netfilter libip4tc library
libip6tc2:amd64|1.8.10-3ubuntu2|amd64|netfilter libip6tc library
libnftables1:amd64|1.0.9-1build1|amd64|Netfilter nftables high level userspace API library
libnftnl11:amd64|1.2.6-2build1|amd64|Netfilter nftables userspace API library
libssl3t64:amd64|3.0.13-0ubuntu3.5|amd64|Secure Sockets Layer toolkit - shared libraries
libxtables12:amd64|1.8.10-3ubuntu2|amd64|netfilter xtables library
linux-base|4.5ubuntu9+24.04.1|all|Linux image base package
linux-generic|$KPKG|amd64|Complete Generic Linux kernel and headers
linux-headers-$KREL|$KPKG|amd64|Linux kernel headers for version ${KREL%-generic} on 64 bit x86 SMP
linux-headers-generic|$KPKG|amd64|Generic Linux kernel headers
linux-image-$KPREV|$KPREVPKG|amd64|Signed kernel image generic
linux-image-$KREL|$KPKG|amd64|Signed kernel image generic
linux-image-generic|$KPKG|amd64|Generic Linux kernel image
linux-modules-$KPREV|$KPREVPKG|amd64|Linux kernel extra modules for version ${KPREV%-generic}
linux-modules-$KREL|$KPKG|amd64|Linux kernel extra modules for version ${KREL%-generic}
linux-modules-extra-$KPREV|$KPREVPKG|amd64|Linux kernel extra modules for version ${KPREV%-generic}
linux-modules-extra-$KREL|$KPKG|amd64|Linux kernel extra modules for version ${KREL%-generic}
lvm2|2.03.16-3ubuntu3.2|amd64|Linux Logical Volume Manager
netplan.io|1.1.2-2~ubuntu24.04.1|amd64|Declarative network configuration for various backends at runtime
nftables|1.0.9-1build1|amd64|Program to control packet filtering rules by Netfilter project
openssh-server|1:9.6p1-3ubuntu13.11|amd64|secure shell (SSH) server, for secure access from remote machines
openssl|3.0.13-0ubuntu3.5|amd64|Secure Sockets Layer toolkit - cryptographic utility
python3|3.12.3-0ubuntu2|amd64|interactive high-level object-oriented language (default python3 version)
rsyslog|8.2312.0-3ubuntu9|amd64|reliable system and kernel logging daemon
snapd|2.68.4+ubuntu24.04|amd64|Daemon and tooling that enable snap packages
sos|4.8.2-0ubuntu0~24.04.2|amd64|Set of tools to gather troubleshooting data from a system
sudo|1.9.15p5-3ubuntu5.24.04.1|amd64|Provide limited super user privileges to specific users
systemd|255.4-1ubuntu8.6|amd64|system and service manager
systemd-resolved|255.4-1ubuntu8.6|amd64|systemd DNS resolver
systemd-timesyncd|255.4-1ubuntu8.6|amd64|minimalistic service to synchronize local time with NTP servers
tar|1.35+dfsg-3build1|amd64|GNU version of the tar archiving utility
tzdata|2025b-0ubuntu0.24.04|all|time zone and daylight-saving time data
ubuntu-minimal|1.539.2|amd64|Minimal core of Ubuntu
ubuntu-server|1.539.2|amd64|Ubuntu Server system
unattended-upgrades|2.9.1+nmu4ubuntu1|all|automatic installation of security upgrades
util-linux|2.39.3-9ubuntu6.2|amd64|miscellaneous system utilities
xz-utils|5.6.1+really5.4.5-1ubuntu0.2|amd64|XZ-format compression utilities
EOF
}

ps_aux() { # from ps -ef
  ps_ef | awk 'NR == 1 { printf "%-10s %7s %4s %4s %7s %6s %-8s %-4s %5s %6s %s\n", "USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START", "TIME", "COMMAND"; next }
    { cmd = ""; for (i = 8; i <= NF; i++) cmd = cmd (i > 8 ? " " : "") $i
      kt = (cmd ~ /^\[/); vsz = kt ? 0 : 20000 + (($2 * 7919) % 900000); rss = kt ? 0 : 4000 + (($2 * 104729) % 300000)
      st = kt ? "I<" : "Ssl"; split($7, tm, ":")
      printf "%-10s %7s %4.1f %4.1f %7d %6d %-8s %-4s %5s %3d:%02d %s\n", $1, $2, $4 / 1.0, kt ? 0 : rss / 81317, vsz, rss, $6, st, $5, tm[2] + tm[1] * 60, tm[3], cmd }'
}

manifest_json() { # START END
  local s=$1 e=$2 st et
  printf -v st '%(%Y-%m-%d %H:%M:%S)T.%06d' $(( s / 1000 )) $(( (s % 1000) * 1000 + 4127 ))
  printf -v et '%(%Y-%m-%d %H:%M:%S)T.%06d' $(( e / 1000 )) $(( (e % 1000) * 1000 + 771 ))
  local rt=$(( (e - s) / 1000 )).$(( (e - s) % 1000 ))
  local comp=xz; [[ $NODE == node2 ]] && comp=gzip
  cat <<EOF
{
    "version": "1.0",
    "cmdline": "sos report --batch -k kubernetes.podlogs=on",
    "start_time": "$st",
    "end_time": "$et",
    "run_time": "$rt",
    "compression": "$comp",
    "tmpdir": "/var/tmp",
    "tmpdir_fs_type": "ext4",
    "policy": "Ubuntu",
    "components": {
        "report": {
            "preset": "ubuntu",
            "plugins": {
                "kernel": {
                    "name": "kernel",
                    "setup_start": "$st",
                    "timeout": 300,
                    "commands": [
                        {
                            "command": "uname -a",
                            "parameters": [
                                "-a"
                            ],
                            "exec": "uname -a",
                            "filepath": "sos_commands/kernel/uname_-a",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": [
                                "uname"
                            ]
                        },
                        {
                            "command": "dmesg",
                            "parameters": [],
                            "exec": "dmesg",
                            "filepath": "sos_commands/kernel/dmesg",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": []
                        }
                    ]
                },
                "kubernetes": {
                    "name": "kubernetes",
                    "setup_start": "$st",
                    "timeout": 300,
                    "commands": [
                        {
                            "command": "microk8s kubectl get -o json nodes",
                            "parameters": [
                                "get",
                                "-o",
                                "json",
                                "nodes"
                            ],
                            "exec": "microk8s kubectl get -o json nodes",
                            "filepath": "sos_commands/kubernetes/cluster-info/microk8s_kubectl_get_-o_json_nodes",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": []
                        },
                        {
                            "command": "microk8s kubectl --namespace kube-system logs $CN_POD -c calico-node",
                            "parameters": [
                                "--namespace",
                                "kube-system",
                                "logs",
                                "$CN_POD",
                                "-c",
                                "calico-node"
                            ],
                            "exec": "microk8s kubectl --namespace kube-system logs $CN_POD -c calico-node",
                            "filepath": "sos_commands/kubernetes/cluster-info/kube-system/podlogs/$CN_POD/microk8s_kubectl_--namespace_kube-system_logs_${CN_POD}_-c_calico-node",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": []
                        }
                    ]
                },
                "logs": {
                    "name": "logs",
                    "setup_start": "$st",
                    "timeout": 300,
                    "commands": [
                        {
                            "command": "journalctl --no-pager",
                            "parameters": [
                                "--no-pager"
                            ],
                            "exec": "journalctl --no-pager",
                            "filepath": "sos_commands/logs/journalctl_--no-pager",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 100,
                            "tags": [
                                "journal_full",
                                "journal_all"
                            ]
                        }
                    ]
                },
                "microk8s": {
                    "name": "microk8s",
                    "setup_start": "$st",
                    "timeout": 300,
                    "commands": [
                        {
                            "command": "journalctl --no-pager --unit snap.microk8s.*",
                            "parameters": [
                                "--no-pager",
                                "--unit",
                                "snap.microk8s.*"
                            ],
                            "exec": "journalctl --no-pager --unit snap.microk8s.*",
                            "filepath": "sos_commands/microk8s/journalctl_--no-pager_--unit_snap.microk8s",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 100,
                            "tags": []
                        },
                        {
                            "command": "microk8s version",
                            "parameters": [
                                "version"
                            ],
                            "exec": "microk8s version",
                            "filepath": "sos_commands/microk8s/microk8s_version",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": []
                        },
                        {
                            "command": "microk8s status",
                            "parameters": [
                                "status"
                            ],
                            "exec": "microk8s status",
                            "filepath": "sos_commands/microk8s/microk8s_status",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": []
                        }
                    ]
                },
                "snap": {
                    "name": "snap",
                    "setup_start": "$st",
                    "timeout": 300,
                    "commands": [
                        {
                            "command": "snap list --all",
                            "parameters": [
                                "list",
                                "--all"
                            ],
                            "exec": "snap list --all",
                            "filepath": "sos_commands/snap/snap_list_--all",
                            "truncated": false,
                            "return_code": 0,
                            "priority": 10,
                            "tags": [
                                "snap_list_all"
                            ]
                        }
                    ]
                }
            },
            "disabled": [],
            "enabled": [
                "apparmor",
                "apt",
                "date",
                "dpkg",
                "filesys",
                "host",
                "kernel",
                "kubernetes",
                "logs",
                "memory",
                "microk8s",
                "networking",
                "process",
                "snap",
                "systemd"
            ]
        }
    }
}
EOF
}

microk8s_status() {
  cat <<'EOF'
microk8s is running
high-availability: no
  datastore master nodes: 127.0.0.1:19001
  datastore standby nodes: none
addons:
  enabled:
    dns                  # (core) CoreDNS
    ha-cluster           # (core) Configure high availability on the current node
    helm                 # (core) Helm - the package manager for Kubernetes
    helm3                # (core) Helm 3 - the package manager for Kubernetes
  disabled:
    cert-manager         # (core) Cloud native certificate management
    cis-hardening        # (core) Apply CIS K8s hardening
    community            # (core) The community addons repository
    dashboard            # (core) The Kubernetes dashboard
    gpu                  # (core) Alias to nvidia add-on
    host-access          # (core) Allow Pods connecting to Host services smoothly
    hostpath-storage     # (core) Storage class; allocates storage from host directory
    ingress              # (core) Ingress controller for external access
    kube-ovn             # (core) An advanced network fabric for Kubernetes
    mayastor             # (core) OpenEBS MayaStor
    metallb              # (core) Loadbalancer for your Kubernetes cluster
    metrics-server       # (core) K8s Metrics Server for API access to service metrics
    minio                # (core) MinIO object storage
    nvidia               # (core) NVIDIA hardware (GPU and network) support
    observability        # (core) A lightweight observability stack for logs, traces and metrics
    prometheus           # (core) Prometheus operator for monitoring and logging
    rbac                 # (core) Role-Based Access Control for authorisation
    registry             # (core) Private image registry exposed on localhost:32000
    rook-ceph            # (core) Distributed Ceph storage using Rook
    storage              # (core) Alias to hostpath-storage add-on, deprecated
EOF
}

# ---------------------------------------------------------------------------------------------
# Bundles
# ---------------------------------------------------------------------------------------------

build_inspect() { # WORKDIR MODE NOW(ms) -> WORKDIR/inspection-report
  local wd=$1 mode=$2 d
  NOW=$3
  d=$wd/inspection-report
  mkdir -p "$d"/{apparmor,args,k8s,network,sys,dqlite}
  local end=$(( NOW + 4000 ))
  local u pid cmd since tasks mem cpu f
  for u in cluster-agent containerd apiserver-kicker k8s-dqlite kubelite; do
    case $u in
      cluster-agent) f=agent.k; pid=$CAPID; cmd="/snap/microk8s/$MK8S_REV/bin/cluster-agent cluster-agent --bind 0.0.0.0:25000 --keyfile /var/snap/microk8s/$MK8S_REV/certs/server.key --certfile /var/snap/microk8s/$MK8S_REV/certs/server.crt --timeout 240"; tasks=9; mem='14.2M (peak: 16.0M)'; cpu='312ms' ;;
      containerd) f=containerd.k; pid=$CPID; cmd="/snap/microk8s/$MK8S_REV/bin/containerd --config /var/snap/microk8s/$MK8S_REV/args/containerd.toml --root /var/snap/microk8s/common/var/lib/containerd --state /var/snap/microk8s/common/run/containerd --address /var/snap/microk8s/common/run/containerd.sock"; tasks=87; mem='1.1G (peak: 1.2G)'; cpu='22.417s' ;;
      apiserver-kicker) f=kicker.k; pid=$AKPID; cmd="/bin/bash /snap/microk8s/$MK8S_REV/apiservice-kicker"; tasks=2; mem='3.1M (peak: 14.8M)'; cpu='4.902s' ;;
      k8s-dqlite) f=dqlite.k; pid=$DQPID; cmd="/snap/microk8s/$MK8S_REV/bin/k8s-dqlite --storage-dir=/var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/ --listen=unix:///var/snap/microk8s/$MK8S_REV/var/kubernetes/backend/kine.sock:12379"; tasks=14; mem='176.3M (peak: 203.9M)'; cpu='27.551s' ;;
      kubelite) f=kubelite.k; pid=$KPID; cmd="/snap/microk8s/$MK8S_REV/kubelite --scheduler-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-scheduler --controller-manager-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-controller-manager --proxy-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-proxy --kubelet-args-file=/var/snap/microk8s/$MK8S_REV/args/kubelet --apiserver-args-file=/var/snap/microk8s/$MK8S_REV/args/kube-apiserver --kubeconfig-file=/var/snap/microk8s/$MK8S_REV/credentials/client.config --start-control-plane=true"; tasks=31; mem='498.6M (peak: 612.3M)'; cpu='1min 39.228s' ;;
    esac
    mkdir -p "$d/snap.microk8s.daemon-$u"
    unit_journal "$SDIR/$f" "$end" > "$d/snap.microk8s.daemon-$u/journal.log"
    systemctl_status "$u" "$pid" "$cmd" "$MK_START_MS" "$d/snap.microk8s.daemon-$u/journal.log" "$tasks" "$mem" "$cpu" > "$d/snap.microk8s.daemon-$u/systemctl.log"
  done
  write_args "$d/args"
  dmesg_text "$NOW" > "$d/apparmor/dmesg"
  w "$d/apparmor/aa-status" <<'EOF'
apparmor module is loaded.
38 profiles are loaded.
38 profiles are in enforce mode.
   /snap/snapd/24505/usr/lib/snapd/snap-confine
   /snap/snapd/24505/usr/lib/snapd/snap-confine//mount-namespace-capture-helper
   /usr/bin/man
   /usr/lib/snapd/snap-confine
   /usr/lib/snapd/snap-confine//mount-namespace-capture-helper
   cri-containerd.apparmor.d
   lsb_release
   man_filter
   man_groff
   nvidia_modprobe
   nvidia_modprobe//kmod
   rsyslogd
   snap-update-ns.microk8s
   snap.microk8s.add-node
   snap.microk8s.addons
   snap.microk8s.config
   snap.microk8s.ctr
   snap.microk8s.daemon-apiserver-kicker
   snap.microk8s.daemon-apiserver-proxy
   snap.microk8s.daemon-cluster-agent
   snap.microk8s.daemon-containerd
   snap.microk8s.daemon-etcd
   snap.microk8s.daemon-flanneld
   snap.microk8s.daemon-k8s-dqlite
   snap.microk8s.daemon-kubelite
   snap.microk8s.dashboard-proxy
   snap.microk8s.dbctl
   snap.microk8s.disable
   snap.microk8s.enable
   snap.microk8s.helm
   snap.microk8s.helm3
   snap.microk8s.hook.configure
   snap.microk8s.hook.install
   snap.microk8s.hook.remove
   snap.microk8s.inspect
   snap.microk8s.kubectl
   snap.microk8s.microk8s
   tcpdump
0 profiles are in complain mode.
0 profiles are in kill mode.
0 profiles are in unconfined mode.
7 processes have profiles defined.
7 processes are in enforce mode.
   /usr/bin/containerd-shim-runc-v2 (4512) cri-containerd.apparmor.d
   /usr/bin/containerd-shim-runc-v2 (4540) cri-containerd.apparmor.d
   /usr/bin/containerd-shim-runc-v2 (4588) cri-containerd.apparmor.d
   /usr/bin/containerd-shim-runc-v2 (4617) cri-containerd.apparmor.d
   /usr/sbin/rsyslogd (790) rsyslogd
   /pause (4536) cri-containerd.apparmor.d
   /pause (4561) cri-containerd.apparmor.d
0 processes are in complain mode.
0 processes are in kill mode.
0 processes are unconfined but have a profile defined.
0 processes are in mixed mode.
EOF
  sys_files "$d/sys"
  snap_list > "$d/sys/snap-list"
  network_files "$d/network"
  w "$d/k8s/version" <<EOF
Client Version: $MK8S_VER
Kustomize Version: v5.5.0
Server Version: $MK8S_VER
EOF
  w "$d/k8s/cluster-info" <<'EOF'
Kubernetes control plane is running at https://127.0.0.1:16443
CoreDNS is running at https://127.0.0.1:16443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy

To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.
EOF
  current_calico_log
  cluster_info_dump > "$d/k8s/cluster-info-dump"
  get_all > "$d/k8s/get-all"
  echo 'No resources found' > "$d/k8s/get-pv"
  echo 'No resources found in default namespace.' > "$d/k8s/get-pvc"
  bom_json > "$d/bom.json"
  dqlite_dir "$d/dqlite"
}

build_sos() { # WORKDIR MODE NOW(ms) TOPNAME -> WORKDIR/TOPNAME
  local wd=$1 mode=$2 top=$4 d
  NOW=$3
  d=$wd/$top
  mkdir -p "$d"/{sos_reports,sos_logs}
  local end=$(( NOW + 90000 ))
  local s=$(( NOW - 21000 ))
  echo 'sosreport: 4.8.2' > "$d/version.txt"
  manifest_json "$s" "$end" > "$d/sos_reports/manifest.json"
  local st; printf -v st '%(%Y-%m-%d %H:%M:%S)T' $(( s / 1000 ))
  local sl; printf -v sl '%(%Y-%m-%d %H:%M:%S)T' $(( end / 1000 ))
  w "$d/sos_logs/sos.log" <<EOF
$st,533 INFO: [sos.report:setup] executing 'sos report --batch -k kubernetes.podlogs=on'
$st,561 INFO: [sos.report:setup] loaded plugins: apparmor, apt, ata, block, boot, cgroups, containerd, cron, date, dbus, devicemapper, dpkg, filesys, grub2, host, i18n, kernel, kubernetes, last, libraries, logrotate, logs, lvm2, memory, microk8s, multipath, networking, pam, process, processor, python, release, selinux, snap, ssh, sudo, systemd, sysvipc, ubuntu, udev, usb, xfs
$st,702 INFO: [sos.report:setup] plugin option kubernetes.podlogs set to True
$st,884 INFO: [plugin:kubernetes] collecting pod logs for namespace kube-system
$sl,102 INFO: [sos.report:collect] Finished running plugins
$sl,410 INFO: [archive:TarFileArchive] finalizing archive '/var/tmp/$top' using method 'auto'
$sl,980 INFO: [archive:TarFileArchive] built archive at '/var/tmp/$top.tar.${5:-xz}' (size=$(( 200000 + RNG % 90000 )))
EOF
  w "$d/sos_logs/ui.log" <<EOF
$st,532 INFO: 
sos report (version 4.8.2)

This command will collect diagnostic and configuration information from
this Ubuntu system and installed applications.

$sl,981 INFO: 
Your sos report has been generated and saved in:
	/var/tmp/$top.tar.${5:-xz}
EOF
  local c=$d/sos_commands
  mkdir -p "$c"/{kernel,microk8s,kubernetes/cluster-info,snap,logs,host,memory,filesys,process,networking,dpkg,date}
  echo "Linux $NODE $KREL $KNUM SMP PREEMPT_DYNAMIC $KBUILT x86_64 x86_64 x86_64 GNU/Linux" > "$c/kernel/uname_-a"
  dmesg_text "$NOW" > "$c/kernel/dmesg"
  lsmod_out > "$c/kernel/lsmod"
  mk8s_journal "$SDIR" "$NOW" > "$c/microk8s/journalctl_--no-pager_--unit_snap.microk8s"
  echo "MicroK8s $MK8S_VER revision $MK8S_REV" > "$c/microk8s/microk8s_version"
  microk8s_status > "$c/microk8s/microk8s_status"
  local k=$c/kubernetes/cluster-info
  w "$k/microk8s_kubectl_version" <<EOF
Client Version: $MK8S_VER
Kustomize Version: v5.5.0
Server Version: $MK8S_VER
EOF
  local a; age "$NODE_CREATED_MS"; a=$REPLY
  printf '%-6s %-7s %-6s %-5s %s\n' NAME STATUS ROLES AGE VERSION "$NODE" Ready '<none>' "$a" "$MK8S_VER" > "$k/microk8s_kubectl_get_nodes"
  node_json_sorted > "$k/microk8s_kubectl_get_-o_json_nodes"
  get_pods > "$k/microk8s_kubectl_get_--all-namespaces_true_pods"
  get_events > "$k/microk8s_kubectl_get_--all-namespaces_true_events"
  printf '%-15s %-6s %s\n' NAME STATUS AGE default Active "$a" kube-node-lease Active "$a" kube-public Active "$a" kube-system Active "$a" > "$k/microk8s_kubectl_get_namespaces"
  # pod logs (kubernetes.podlogs=on)
  local p
  current_calico_log
  p=$k/kube-system/podlogs/$CN_POD
  mkdir -p "$p"
  printf '%s' "$CN_LOG" > "$p/microk8s_kubectl_--namespace_kube-system_logs_${CN_POD}_-c_calico-node"
  upgrade_ipam_log "$(( PODS_STARTED_MS - 3000 ))" | unkey > "$p/microk8s_kubectl_--namespace_kube-system_logs_${CN_POD}_-c_upgrade-ipam"
  install_cni_log "$(( PODS_STARTED_MS - 1500 ))" | unkey > "$p/microk8s_kubectl_--namespace_kube-system_logs_${CN_POD}_-c_install-cni"
  p=$k/kube-system/podlogs/$KC_POD; mkdir -p "$p"
  kube_controllers_log "$(( PODS_STARTED_MS + 1400 ))" "$NOW" | unkey > "$p/microk8s_kubectl_--namespace_kube-system_logs_${KC_POD}_-c_calico-kube-controllers"
  p=$k/kube-system/podlogs/$DNS_POD; mkdir -p "$p"
  coredns_log | unkey > "$p/microk8s_kubectl_--namespace_kube-system_logs_${DNS_POD}_-c_coredns"
  local i
  for i in 0 1; do
    p=$k/default/podlogs/${WEB_PODS[i]}; mkdir -p "$p"
    nginx_log "$(( PODS_STARTED_MS + 900 + i * 300 ))" | unkey > "$p/microk8s_kubectl_--namespace_default_logs_${WEB_PODS[i]}_-c_nginx"
  done
  snap_list all > "$c/snap/snap_list_--all"
  full_journal "$SDIR" "$NOW" > "$c/logs/journalctl_--no-pager"
  echo "Archived and active journals take up 412.0M in the file system." > "$c/logs/journalctl_--disk-usage"
  echo "$NODE" > "$c/host/hostname"
  local nowhms upm; printf -v nowhms '%(%H:%M:%S)T' $(( NOW / 1000 )); upm=$(( (NOW - BOOT_MS) / 60000 ))
  echo " $nowhms up $upm min,  2 users,  load average: 0.58, 0.66, 0.64" > "$c/host/uptime"
  w "$c/memory/free" <<EOF
               total        used        free      shared  buff/cache   available
Mem:         8131748     2761532      871204        5196     4794116     5370216
Swap:        4194300           0     4194300
EOF
  w "$c/filesys/df_-al_-x_autofs" <<EOF
Filesystem                        1K-blocks     Used Available Use% Mounted on
sysfs                                     0        0         0    - /sys
proc                                      0        0         0    - /proc
udev                                4010836        0   4010836   0% /dev
tmpfs                                813176     1516    811660   1% /run
/dev/mapper/ubuntu--vg-ubuntu--lv  49255912 19630544  27095308  43% /
tmpfs                               4065872        0   4065872   0% /dev/shm
/dev/vda2                           1992552   200428   1670884  11% /boot
/dev/loop0                            65408    65408         0 100% /snap/core20/2571
/dev/loop1                           170880   170880         0 100% /snap/microk8s/$MK8S_OLDREV
/dev/loop2                           172160   172160         0 100% /snap/microk8s/$MK8S_REV
/dev/loop4                            39808    39808         0 100% /snap/snapd/24505
EOF
  ps_aux > "$c/process/ps_auxwww"
  ip_addr | awk '/^[0-9]+:/ { split($0, a, ": "); dev = a[2]; sub(/@.*/, "", dev); n = $1; next } /inet/ { printf "%s %s    %s\\       valid_lft forever preferred_lft forever\n", n, dev, substr($0, 5) }' > "$c/networking/ip_-o_addr"
  { ip_route; echo "local $IP4 dev $IFACE table local proto kernel scope host src $IP4 "; echo "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 "; } > "$c/networking/ip_route_show_table_all"
  dpkg_l > "$c/dpkg/dpkg_-l"
  printf '%(%a %b %e %H:%M:%S UTC %Y)T\n' $(( NOW / 1000 )) > "$c/date/date"
  mkdir -p "$d/var/log/apt" "$d/etc" "$d/var/snap/microk8s/current"
  dpkg_log > "$d/var/log/dpkg.log"
  apt_history > "$d/var/log/apt/history.log"
  full_journal "$SDIR" "$NOW" | to_syslog "${DAY%%-*}" > "$d/var/log/syslog"
  {
    if [[ $mode == incident ]]; then
      printf '2025-05-19T08:14:02.%06d+00:00 %s kernel: Linux version %s (buildd@lcy02-amd64-098) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #57-Ubuntu SMP PREEMPT_DYNAMIC Wed Feb 12 23:42:21 UTC 2025 (Ubuntu 6.8.0-55.57-generic 6.8.12)\n' 118031 "$NODE" "$KPREV"
      printf '2025-05-19T08:14:02.%06d+00:00 %s kernel: Command line: BOOT_IMAGE=/vmlinuz-%s root=/dev/mapper/ubuntu--vg-ubuntu--lv ro\n' 118044 "$NODE" "$KPREV"
    fi
    grep ' kernel: ' "$d/var/log/syslog"
  } > "$d/var/log/kern.log"
  w "$d/etc/lsb-release" <<'EOF'
DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=24.04
DISTRIB_CODENAME=noble
DISTRIB_DESCRIPTION="Ubuntu 24.04.2 LTS"
EOF
  w "$d/etc/os-release" <<'EOF'
PRETTY_NAME="Ubuntu 24.04.2 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.2 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
EOF
  write_args "$d/var/snap/microk8s/current/args"
  # the root symlinks sos makes
  ln -s sos_commands/kernel/uname_-a "$d/uname"
  ln -s sos_commands/kernel/lsmod "$d/lsmod"
  ln -s sos_commands/host/hostname "$d/hostname"
  ln -s sos_commands/host/uptime "$d/uptime"
  ln -s sos_commands/date/date "$d/date"
  ln -s sos_commands/memory/free "$d/free"
  ln -s sos_commands/filesys/df_-al_-x_autofs "$d/df"
  ln -s sos_commands/process/ps_auxwww "$d/ps"
  ln -s sos_commands/networking/ip_-o_addr "$d/ip_addr"
  ln -s sos_commands/networking/ip_route_show_table_all "$d/ip_route"
  ln -s sos_commands/dpkg/dpkg_-l "$d/installed-debs"
  ln -s sos_commands/snap/snap_list_--all "$d/installed-snaps"
  ln -s etc/lsb-release "$d/lsb-release"
}

# tar with fixed metadata; COMP gz|xz; FORMAT gnu (GNU tar, as microk8s inspect) or pax (Python tarfile, as sos)
mktar() { # PARENT TOP OUT COMP MTIME FORMAT TMPDIR
  local parent=$1 top=$2 out=$3 comp=$4 mtime=$5 fmt=$6 tmp=$7/$(basename "$3").part
  local opts=(--sort=name --mtime="$mtime" --owner=0 --group=0 --numeric-owner --format="$fmt" -C "$parent")
  [[ $fmt == pax ]] && opts+=(--pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime')
  case $comp in
    gz) tar "${opts[@]}" -cf - "$top" | gzip -n -6 > "$tmp" ;;
    xz) tar "${opts[@]}" -cf - "$top" | xz -3 -T1 -c > "$tmp" ;;
  esac
  mv -f "$tmp" "$out"
}

# ---------------------------------------------------------------------------------------------
# Plain sample logs (samples/logs/): bash -c '. samples/build-bundles.sh && write_sample_logs samples/logs'
# ---------------------------------------------------------------------------------------------

write_sample_logs() { # DIR
  local out=$1 w
  w=$(mktemp -d)
  mkdir -p "$out/healthy"
  setup_incident
  at 18:25:10.000; local end=$REPLY
  kubelite_journal_incident 0 "$end" > "$w/kubelite.k"
  merge < "$w/kubelite.k" > "$out/kubelite-journal.log"
  calico_node_log "${CN_STARTS[0]}" incident "${CN_KILLS[0]}" 1 > "$w/felix.k"
  unkey < "$w/felix.k" > "$out/calico-node-felix.log"
  cri_wrap < "$w/felix.k" > "$out/calico-node-cri.log"
  KLOG_PLAIN=1
  at 18:06:29.288; T=$REPLY
  kube_proxy_start incident > "$w/proxy.k"
  kube_proxy_loop $(( T + 1400 )) "$end" >> "$w/proxy.k"
  KLOG_PLAIN=0
  merge < "$w/proxy.k" > "$out/kube-proxy-klog.log"

  setup_healthy
  at 10:14:58.000; local hend=$REPLY
  NOW=$hend
  gen_streams "$w" healthy "$hend"
  calico_node_log "$(( PODS_STARTED_MS + 2000 ))" healthy "$hend" 1 | unkey > "$out/healthy/calico-node-felix.log"
  unit_journal "$w/kubelite.k" "$hend" > "$out/healthy/kubelite-journal.log"
  unit_journal "$w/containerd.k" "$hend" > "$out/healthy/containerd-journal.log"
  full_journal "$w" "$hend" | to_syslog 2025 > "$out/healthy/syslog"
  rm -rf "$w"
}

# ---------------------------------------------------------------------------------------------

check_tools() {
  local missing=() t
  for t in tar gzip xz awk sort cut date mktemp; do command -v "$t" >/dev/null || missing+=("$t"); done
  if ((${#missing[@]})); then
    local pk=()
    for t in "${missing[@]}"; do
      case $t in xz) pk+=(xz-utils) ;; awk) pk+=(mawk) ;; sort|cut|date|mktemp) pk+=(coreutils) ;; *) pk+=("$t") ;; esac
    done
    echo "build-bundles: missing: ${missing[*]} (install: sudo apt-get install -y ${pk[*]})" >&2
    return 1
  fi
  if ! tar --sort=name -cf /dev/null --files-from=/dev/null 2>/dev/null; then
    echo "build-bundles: GNU tar >= 1.28 is needed (--sort=name)" >&2
    return 1
  fi
  if (( BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 3) )); then
    echo "build-bundles: bash >= 4.3 is needed" >&2
    return 1
  fi
}

main() {
  set -euo pipefail
  umask 022
  check_tools
  local out=$SCRIPT_DIR/bundles
  mkdir -p "$out"
  TMPW=$(mktemp -d "${TMPDIR:-/tmp}/cni-doctor-samples.XXXXXX")
  trap 'rm -rf "$TMPW"' EXIT
  local tmp=$TMPW

  # node1: the incident
  setup_incident
  mkdir -p "$tmp/s1" "$tmp/i1" "$tmp/o1"
  at 18:28:00.000; NOW=$REPLY
  SDIR=$tmp/s1; gen_streams "$SDIR" incident "$NOW"
  # kubectl ran two minutes after the last restart: RESTARTS shows "14 (2m ago)"
  at 18:25:11.000
  (( CN_STARTS[-1] + 120400 <= REPLY )) || { echo "build-bundles: crash-loop schedule drifted past the inspect time" >&2; return 1; }
  build_inspect "$tmp/i1" incident "$(( CN_STARTS[-1] + 120400 ))"
  mktar "$tmp/i1" inspection-report "$out/inspection-report-20250526_182512.tar.gz" gz '2025-05-26 18:25:12 UTC' gnu "$tmp"
  at 18:27:51.870; build_sos "$tmp/o1" incident "$REPLY" sosreport-node1-2025-05-26-abcdefg xz
  mktar "$tmp/o1" sosreport-node1-2025-05-26-abcdefg "$out/sosreport-node1-2025-05-26-abcdefg.tar.xz" xz '2025-05-26 18:29:22 UTC' pax "$tmp"

  # node2: healthy
  setup_healthy
  mkdir -p "$tmp/s2" "$tmp/i2" "$tmp/o2"
  at 10:17:00.000; NOW=$REPLY
  SDIR=$tmp/s2; gen_streams "$SDIR" healthy "$NOW"
  at 10:14:56.112; build_inspect "$tmp/i2" healthy "$REPLY"
  mktar "$tmp/i2" inspection-report "$out/inspection-report-20250601_101500.tar.gz" gz '2025-06-01 10:15:00 UTC' gnu "$tmp"
  at 10:16:58.420; build_sos "$tmp/o2" healthy "$REPLY" sosreport-node2-2025-06-01-hijklmn gz
  mktar "$tmp/o2" sosreport-node2-2025-06-01-hijklmn "$out/sosreport-node2-2025-06-01-hijklmn.tar.gz" gz '2025-06-01 10:18:31 UTC' pax "$tmp"

  local f
  for f in "$out"/inspection-report-20250526_182512.tar.gz "$out"/inspection-report-20250601_101500.tar.gz \
           "$out"/sosreport-node1-2025-05-26-abcdefg.tar.xz "$out"/sosreport-node2-2025-06-01-hijklmn.tar.gz; do
    printf '%8d  %s\n' "$(wc -c < "$f")" "${f#"$SCRIPT_DIR"/}"
  done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi

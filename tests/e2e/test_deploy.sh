#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# deploy/: the files parse; the DaemonSet grants exactly the capabilities
# tlsmem names as needed when it has none, and tlsmem runs with that set
# alone; it mounts what tlsmem checks at start; image, DaemonSet and
# annotations agree on the binary and the port; every series the alert
# rules and the dashboard use is one tlsmem really serves.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_require

D=deploy
gen_cert "$TMP"
python3 - "$D" >"$TMP/facts" 2>"$TMP/facts.err" <<'EOF'
import json, re, sys, yaml
d = sys.argv[1]
ds = yaml.safe_load(open(d + "/daemonset.yaml"))
rules = yaml.safe_load(open(d + "/alerts.yaml"))
dash = json.load(open(d + "/grafana-dashboard.json"))
pod = ds["spec"]["template"]
c = pod["spec"]["containers"][0]
sc = c["securityContext"]
print("kind", ds["kind"])
print("hostpid", str(pod["spec"].get("hostPID")).lower())
print("privileged", str(sc.get("privileged")).lower())
print("drop", ",".join(sc["capabilities"]["drop"]))
print("caps", ",".join(sorted("CAP_" + x for x in sc["capabilities"]["add"])))
print("mounts", ",".join(m["mountPath"] for m in c["volumeMounts"]))
print("command", c["command"][0])
args = c["args"]
print("listen_port", args[args.index("--metrics-listen") + 1].rsplit(":", 1)[1])
print("container_port", c["ports"][0]["containerPort"])
print("annotation_port", pod["metadata"]["annotations"]["prometheus.io/port"])
print("scrape", pod["metadata"]["annotations"]["prometheus.io/scrape"])
exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
print("series", ",".join(sorted(set(m for e in exprs for m in re.findall(r"tlsmem_[a-z_]+", e)))))
EOF
if [ -s "$TMP/facts.err" ]; then
	fail parse "$(head -c 300 "$TMP/facts.err")"
	e2e_finish
fi
pass parse
fact() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/facts"; }

check_eq daemonset "$(fact kind)" DaemonSet
check_eq host_pid "$(fact hostpid)" true
check_eq not_privileged "$(fact privileged)" false
check_eq drops_all "$(fact drop)" ALL

# the capabilities tlsmem names when it has none are the DaemonSet's
timeout -k 2 10 setpriv --bounding-set=-all --inh-caps=-all "$TLSMEM" -p $$ -d 1 \
	>/dev/null 2>"$TMP/nocaps.err"
named=$(sed -n 's/.*the capabilities it needs: \(.*\) \(is\|are\) missing.*/\1/p' "$TMP/nocaps.err" |
	tr -d ' ' | tr ',' '\n' | sort | paste -sd,)
check_eq caps_named "$named" "$(fact caps)"

# and tlsmem works with that set alone
start_gt_server gt "$TMP/gt.state"
bset=$(fact caps | tr 'A-Z' 'a-z' | sed 's/cap_/+/g')
# stopped once the client is done: a fixed -d could end before the client
# on a loaded machine
spawn least setpriv --bounding-set=-all,"$bset" --inh-caps=-all "$TLSMEM" -p "$GT_PID" \
	-i 0.5 --metrics-file "$TMP/metrics.prom" --json
least=$LAST_PID
if wait_for_line "$TMP/least.err" '^tlsmem: attached' 60 "$least"; then
	timeout 30 "$TLS_CLIENT" --port "$GT_PORT" --conns 3 --bytes 10 </dev/null >/dev/null 2>&1
	stop_tlsmem "$least"
else
	wait_exit "$least" 5
	dump "$TMP/least.err"
fi
check_eq least_caps_exit "$WAIT_RC" 0
check_eq least_caps_ssl "$(json_get "$TMP/least.out" .ssl.created)" 3

# the mounts: what tlsmem checks at start is under one of them
btf=$(grep -ho '"/sys/kernel/btf/vmlinux"' user/session*.c | tr -d '"' | head -1)
under=no
IFS=, read -ra mounts <<<"$(fact mounts)"
for m in "${mounts[@]}"; do
	case "$btf" in "$m"/*) under=yes ;; esac
done
check_eq btf_mounted "$btf:$under" "/sys/kernel/btf/vmlinux:yes"

# one binary, one port, everywhere
installed=$(make -s -n install prefix=/usr/local DESTDIR= 2>/dev/null |
	grep -o '/usr/local/sbin/tlsmem' | head -1)
entry=$(sed -n 's/^ENTRYPOINT \["\([^"]*\)".*/\1/p' "$D/Dockerfile")
check_eq image_entrypoint "$entry" "$installed"
check_eq daemonset_command "$(fact command)" "$installed"
expose=$(awk '$1 == "EXPOSE" { print $2 }' "$D/Dockerfile")
cmd_port=$(sed -n 's/^CMD .*"--metrics-listen", "[^"]*:\([0-9]*\)".*/\1/p' "$D/Dockerfile")
check_eq ports "$(fact listen_port) $(fact container_port) $(fact annotation_port) $expose $cmd_port" \
	"9464 9464 9464 9464 9464"
check_eq scrape "$(fact scrape)" true

# every series used is one tlsmem serves
served=$(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$TMP/metrics.prom" | sort -u)
missing=
IFS=, read -ra used <<<"$(fact series)"
for m in "${used[@]}"; do
	grep -qx "$m" <<<"$served" || missing="$missing $m"
done
check_eq series_exist "${missing:-none}" none
e2e_finish

#!/usr/bin/env bash
# Local Kubernetes control plane with the REAL Knative operator, for the
# collection's integration tests and demo. See README.md beside this file.
#
#   cluster.sh up       build what is missing (cached per version), start the
#                       cluster and everything on it, wait until it is ready.
#                       Idempotent: with a healthy cluster it returns quickly.
#   cluster.sh down     stop everything and remove the cluster state
#                       (the binary cache stays).
#   cluster.sh status   show the processes and the Knative objects.
#   cluster.sh build    only build the binaries (into the cache).
#
# Needs Go (1.26; kwok v0.8.0 asks for it, an older go fetches it through the
# module proxy), kubectl and util-linux (setsid, flock) on PATH, and the
# Go module proxy; nothing is downloaded from anywhere else. Linux, as root
# (the Knative operator runs in its own network namespace, see netns-run/).
#
# Environment:
#   OSHA_CLUSTER_DIR   cluster state directory
#                      (default ${XDG_CACHE_HOME:-$HOME/.cache}/openshift_serverless_ha/cluster)
#   XDG_CACHE_HOME     base of the binary cache
#   OSHA_READY_TIMEOUT seconds to wait for each Knative object to be Ready (default 900)
#   OSHA_SERVING       0: do not install KnativeServing (default 1)
set -Eeuo pipefail
umask 077

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091 # plain NAME=value lines
. "$HERE/versions.env"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/openshift_serverless_ha"
BIN_ROOT="$CACHE_ROOT/bin"
BUILD_ROOT="$CACHE_ROOT/build"
STATE="${OSHA_CLUSTER_DIR:-$CACHE_ROOT/cluster}"
CLUSTER_NAME=osha
READY_TIMEOUT="${OSHA_READY_TIMEOUT:-900}"
WANT_SERVING="${OSHA_SERVING:-1}"

KUBE_DIR="$BIN_ROOT/kubernetes-$KUBE_VERSION"
ETCD_DIR="$BIN_ROOT/etcd-$ETCD_VERSION"
KWOK_DIR="$BIN_ROOT/kwok-$KWOK_VERSION"
OPERATOR_DIR="$BIN_ROOT/knative-operator-$KNATIVE_OPERATOR_VERSION"
TOOLS_DIR="" # set by tools_dir (keyed by a hash of the sources)

START_TIME=$SECONDS

log() { printf '[cluster.sh %s +%4ss] %s\n' "$(date +%H:%M:%S)" "$((SECONDS - START_TIME))" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "'$c' is not on PATH"
	done
}

# ---------------------------------------------------------------------------
# Building (cached per version)
# ---------------------------------------------------------------------------

go_env() {
	export CGO_ENABLED=0 GOWORK=off GOFLAGS="-buildvcs=false -mod=mod"
}

# run_logged LABEL LOGFILE CMD...: runs CMD with its output in LOGFILE and
# prints a progress line every 30 s (packages compiled so far, elapsed time).
run_logged() {
	local label=$1 logfile=$2 start=$SECONDS pid rc=0 n
	shift 2
	"$@" >"$logfile" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		if kill -0 "$pid" 2>/dev/null; then
			n=$(grep -cv '^go: ' "$logfile" || true)
			log "  ... $label: $((SECONDS - start))s, $n packages compiled so far"
		fi
	done
	wait "$pid" || rc=$?
	if ((rc != 0)); then
		tail -n 40 "$logfile" >&2 || true
		die "$label failed (exit $rc); full log: $logfile"
	fi
	log "  $label done in $((SECONDS - start))s"
}

# module_dir MODULE@VERSION: downloads a module and prints its directory.
module_dir() {
	local dir
	dir=$(cd "$BUILD_ROOT" && GOFLAGS=-mod=mod GOWORK=off go mod download -json "$1" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -n "$dir" && -d "$dir" ]] || die "could not download Go module $1"
	printf '%s\n' "$dir"
}

begin_build() { # DIR: prepares DIR.tmp
	rm -rf "$1.tmp"
	mkdir -p "$1.tmp"
}

finish_build() { # DIR
	date -u +%Y-%m-%dT%H:%M:%SZ >"$1.tmp/.complete"
	rm -rf "$1"
	mv "$1.tmp" "$1"
}

build_kube() {
	[[ -f "$KUBE_DIR/.complete" ]] && return 0
	log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION (k8s.io/kubernetes; the longest step, about 5-15 min on 2 cores)"
	local v=$KUBE_VERSION minor staging work kdir ld p c
	minor=${v#v1.}
	minor=${minor%%.*}
	staging="v0.${v#v1.}"
	work="$BUILD_ROOT/kubernetes-$v"
	rm -rf "$work"
	mkdir -p "$work"
	kdir=$(module_dir "k8s.io/kubernetes@$v")
	# k8s.io/kubernetes requires its ~30 staging modules at v0.0.0 and resolves
	# them with local replaces, so `go install` cannot build it; a module of our
	# own replaces each with its published v0.MINOR.PATCH (kubernetes#79384).
	# The list comes from that release's own go.mod.
	{
		printf 'module localcluster.invalid/kubernetes\n\ngo 1.25.0\n\ngodebug default=go1.25\n\n'
		printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$v"
		sed -n '/^replace (/,/^)/p' "$kdir/go.mod" |
			sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' |
			while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
		printf ')\n'
	} >"$work/go.mod"
	grep -q 'k8s.io/client-go =>' "$work/go.mod" || die "could not derive the staging modules from $kdir/go.mod"
	# The upstream mains, unchanged.
	for c in kube-apiserver:apiserver.go kube-controller-manager:controller-manager.go kube-scheduler:scheduler.go; do
		mkdir -p "$work/cmd/${c%%:*}"
		cp "$kdir/cmd/${c%%:*}/${c#*:}" "$work/cmd/${c%%:*}/main.go"
	done
	chmod -R u+w "$work"
	go_env
	run_logged "go mod tidy (kubernetes)" "$work/tidy.log" bash -c "cd '$work' && go mod tidy"
	# Stamp the version: unstamped servers report v0.0.0-master, which the
	# Knative operator rejects (it needs a parseable version >= 1.34).
	ld="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
		ld+=" -X $p.buildDate=1970-01-01T00:00:00Z"
	done
	begin_build "$KUBE_DIR"
	run_logged "go build (kubernetes $v)" "$work/build.log" bash -c \
		"cd '$work' && go build -p 2 -v -trimpath -ldflags '$ld' -o '$KUBE_DIR.tmp/' ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler"
	grep -q "$v" < <("$KUBE_DIR.tmp/kube-apiserver" --version) || die "kube-apiserver does not report $v"
	finish_build "$KUBE_DIR"
	rm -rf "$work"
}

build_etcd() {
	[[ -f "$ETCD_DIR/.complete" ]] && return 0
	log "building etcd $ETCD_VERSION (go.etcd.io/etcd/server/v3)"
	local v=$ETCD_VERSION work="$BUILD_ROOT/etcd-$ETCD_VERSION" m
	rm -rf "$work"
	mkdir -p "$work"
	# `go install` of etcd fails on the replace directives of its main module,
	# so build its server package through a main of our own.
	{
		printf 'module localcluster.invalid/etcd\n\ngo 1.25.0\n\nrequire (\n'
		for m in server/v3 api/v3 client/pkg/v3 client/v3 pkg/v3; do
			printf '\tgo.etcd.io/etcd/%s %s\n' "$m" "$v"
		done
		printf ')\n'
	} >"$work/go.mod"
	cat >"$work/main.go" <<'EOF'
// etcd for the local test cluster: the upstream server, unchanged.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
	go_env
	run_logged "go mod tidy (etcd)" "$work/tidy.log" bash -c "cd '$work' && go mod tidy"
	begin_build "$ETCD_DIR"
	run_logged "go build (etcd $v)" "$work/build.log" bash -c \
		"cd '$work' && go build -p 2 -v -trimpath -ldflags '-s -w' -o '$ETCD_DIR.tmp/etcd' ."
	grep -q "${v#v}" < <("$ETCD_DIR.tmp/etcd" --version) || die "etcd does not report ${v#v}"
	finish_build "$ETCD_DIR"
	rm -rf "$work"
}

build_kwok() {
	[[ -f "$KWOK_DIR/.complete" ]] && return 0
	log "building kwok and kwokctl $KWOK_VERSION (sigs.k8s.io/kwok)"
	local work="$BUILD_ROOT/kwok-$KWOK_VERSION"
	rm -rf "$work"
	mkdir -p "$work"
	go_env
	begin_build "$KWOK_DIR"
	run_logged "go install (kwok $KWOK_VERSION)" "$work/build.log" env GOBIN="$KWOK_DIR.tmp" \
		go install -p 2 -v -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
		"sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
	finish_build "$KWOK_DIR"
	rm -rf "$work"
}

build_operator() {
	[[ -f "$OPERATOR_DIR/.complete" ]] && return 0
	log "building the Knative operator $KNATIVE_OPERATOR_VERSION (knative.dev/operator/cmd/operator)"
	local work="$BUILD_ROOT/knative-operator-$KNATIVE_OPERATOR_VERSION" mdir
	rm -rf "$work"
	mkdir -p "$work"
	go_env
	begin_build "$OPERATOR_DIR"
	run_logged "go install (knative operator $KNATIVE_OPERATOR_VERSION)" "$work/build.log" env GOBIN="$OPERATOR_DIR.tmp" \
		go install -p 2 -v -trimpath -ldflags "-s -w" "knative.dev/operator/cmd/operator@$KNATIVE_OPERATOR_VERSION"
	mv "$OPERATOR_DIR.tmp/operator" "$OPERATOR_DIR.tmp/knative-operator"
	# Keep what the operator needs at run time next to the binary, so that
	# clearing the Go module cache does not break the cluster: its release
	# manifests (kodata), its CRDs and the config maps of its own deployment.
	mdir=$(module_dir "knative.dev/operator@$KNATIVE_OPERATOR_VERSION")
	cp -R "$mdir/cmd/operator/kodata" "$OPERATOR_DIR.tmp/kodata"
	mkdir -p "$OPERATOR_DIR.tmp/crd" "$OPERATOR_DIR.tmp/manager"
	cp "$mdir"/config/crd/bases/*.yaml "$OPERATOR_DIR.tmp/crd/"
	cp "$mdir"/config/manager/config-logging-configmap.yaml "$mdir"/config/manager/config-observability-configmap.yaml "$OPERATOR_DIR.tmp/manager/"
	chmod -R u+w "$OPERATOR_DIR.tmp"
	finish_build "$OPERATOR_DIR"
	rm -rf "$work"
}

tools_dir() {
	local hash
	hash=$(cd "$HERE" && cat go.mod go.sum ./*/main.go | sha256sum | cut -c1-12)
	TOOLS_DIR="$BIN_ROOT/tools-$hash"
}

build_tools() {
	tools_dir
	[[ -f "$TOOLS_DIR/.complete" ]] && return 0
	log "building the local helpers (knative-kafka-stand-in, netns-run, kodata-prep)"
	local work="$BUILD_ROOT/tools"
	mkdir -p "$work"
	go_env
	begin_build "$TOOLS_DIR"
	run_logged "go build (helpers)" "$work/build.log" bash -c \
		"cd '$HERE' && GOFLAGS='-buildvcs=false -mod=readonly' go build -p 2 -v -trimpath -ldflags '-s -w' -o '$TOOLS_DIR.tmp/' ./knative-kafka-stand-in ./netns-run ./kodata-prep"
	finish_build "$TOOLS_DIR"
	rm -rf "$work"
}

cmd_build() {
	need go
	mkdir -p "$BIN_ROOT" "$BUILD_ROOT"
	exec 8>"$CACHE_ROOT/.build.lock"
	flock 8
	local t0=$SECONDS
	build_tools
	build_etcd
	build_kwok
	build_operator
	build_kube
	exec 8>&-
	log "binaries ready in $BIN_ROOT ($((SECONDS - t0))s)"
}

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

KWOK_WORKDIR="$STATE/kwok"
KWOK_CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"

# is_ours PID: true when PID runs a process of this cluster: kwokctl's
# components name state paths in their arguments, and the processes that
# start_bg runs (and their children) carry OSHA_CLUSTER_STATE in their
# environment. So a recycled pid of an unrelated process is never taken for ours.
is_ours() {
	[[ -n "$1" && -r "/proc/$1/cmdline" ]] || return 1
	grep -qF "$STATE" < <(tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline") && return 0
	grep -qxF "OSHA_CLUSTER_STATE=$STATE" < <(tr '\0' '\n' 2>/dev/null <"/proc/$1/environ") && return 0
	return 1
}

pid_alive() { # PIDFILE
	[[ -f "$1" ]] || return 1
	is_ours "$(tr -dc '0-9' <"$1")"
}

# stop_pidfile PIDFILE: stops that process and every process of ours in its
# process group (start_bg makes each a group leader; the Knative operator runs
# as a grandchild of netns-run), even when the recorded process itself is gone.
stop_pidfile() {
	local pid p members="" alive
	[[ -f "$1" ]] || return 0
	pid=$(tr -dc '0-9' <"$1")
	[[ -n "$pid" ]] || return 0
	for p in $({
		echo "$pid"
		pgrep -g "$pid" 2>/dev/null || true
	} | sort -u); do
		is_ours "$p" && members+=" $p"
	done
	[[ -n "$members" ]] || return 0
	# shellcheck disable=SC2086
	kill -TERM $members 2>/dev/null || true
	for _ in $(seq 75); do # up to 15 s
		sleep 0.2
		alive=0
		for p in $members; do
			is_ours "$p" && alive=1
		done
		((alive)) || return 0
	done
	# shellcheck disable=SC2086
	kill -KILL $members 2>/dev/null || true
}

# running_current PIDFILE BINARY: the process runs and was started from BINARY
# (so an `up` after a version or source change restarts it).
running_current() {
	pid_alive "$1" || return 1
	grep -qxF "$2" < <(tr '\0' '\n' 2>/dev/null <"/proc/$(tr -dc '0-9' <"$1")/cmdline")
}

all_pidfiles() {
	local f
	for f in "$STATE"/pids/*.pid "$KWOK_CLUSTER_DIR"/pids/*.pid; do
		[[ -f "$f" ]] && printf '%s\n' "$f"
	done
	return 0
}

stop_all() {
	local f
	# our own background processes first (they talk to the API server)
	for f in "$STATE"/pids/*.pid; do
		[[ -f "$f" ]] && stop_pidfile "$f"
	done
	# then the control plane that kwokctl started (kwok, scheduler,
	# controller-manager, apiserver, etcd), in that order
	for f in kwok-controller kube-scheduler kube-controller-manager kube-apiserver etcd; do
		stop_pidfile "$KWOK_CLUSTER_DIR/pids/$f.pid"
	done
	for f in "$KWOK_CLUSTER_DIR"/pids/*.pid; do
		[[ -f "$f" ]] && stop_pidfile "$f"
	done
	return 0
}

# start_bg NAME CMD...: starts CMD in its own session, output to logs/NAME.log,
# pid in pids/NAME.pid.
start_bg() {
	local name=$1
	shift
	mkdir -p "$STATE/pids" "$STATE/logs"
	# fds 8 and 9 hold this script's locks: the long-running children must not inherit them
	OSHA_CLUSTER_STATE="$STATE" setsid "$@" </dev/null >>"$STATE/logs/$name.log" 2>&1 8>&- 9>&- &
	echo $! >"$STATE/pids/$name.pid"
}

kc() { kubectl --kubeconfig "$STATE/setup.kubeconfig" --request-timeout=30s "$@"; }

control_plane_alive() {
	local c
	for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller; do
		pid_alive "$KWOK_CLUSTER_DIR/pids/$c.pid" || return 1
	done
	[[ -f "$STATE/setup.kubeconfig" ]] || return 1
	kc get --raw /readyz >/dev/null 2>&1
}

# ---------------------------------------------------------------------------
# Creating the cluster
# ---------------------------------------------------------------------------

new_token() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

write_tokens() {
	mkdir -p "$STATE/secrets"
	chmod 700 "$STATE/secrets"
	local u
	: >"$STATE/secrets/tokens.csv"
	chmod 600 "$STATE/secrets/tokens.csv"
	# token,user,uid,"groups" (kube-apiserver --token-auth-file)
	for u in ha-admin:system:masters ha-no-rights: knative-operator:system:masters \
		knative-kafka-stand-in:system:masters osha-setup:system:masters; do
		local name=${u%%:*} groups=${u#*:}
		new_token >"$STATE/secrets/$name.token"
		chmod 600 "$STATE/secrets/$name.token"
		if [[ -n "$groups" ]]; then
			printf '%s,%s,%s,"%s"\n' "$(cat "$STATE/secrets/$name.token")" "$name" "$name" "$groups" >>"$STATE/secrets/tokens.csv"
		else
			printf '%s,%s,%s\n' "$(cat "$STATE/secrets/$name.token")" "$name" "$name" >>"$STATE/secrets/tokens.csv"
		fi
	done
}

write_audit_policy() {
	cat >"$STATE/audit-policy.yaml" <<'EOF'
# Audit policy of the local test cluster (hack/local-cluster/cluster.sh).
# Every request is logged once, at level Metadata (who, what, verb, user
# agent, response code; never a body). RequestReceived and ResponseStarted
# are omitted, so each request, a watch included, is exactly one event
# (stage ResponseComplete; "Panic" if the server failed).
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - RequestReceived
  - ResponseStarted
rules:
  # The control plane's own traffic (kube-controller-manager, kube-scheduler,
  # kwok: they share kwokctl's admin certificate) and the API server's
  # loopback client are left out to keep the log small.
  - level: None
    users: ["kwok-admin", "system:apiserver"]
  - level: Metadata
EOF
}

write_kwokctl_config() {
	cat >"$STATE/kwokctl.yaml" <<EOF
# kwokctl configuration of the local test cluster (hack/local-cluster/cluster.sh).
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  kubeVersion: "$KUBE_VERSION"
  # every binary is given as a local path: kwokctl downloads nothing
  kubeApiserverBinary: "$KUBE_DIR/kube-apiserver"
  kubeControllerManagerBinary: "$KUBE_DIR/kube-controller-manager"
  kubeSchedulerBinary: "$KUBE_DIR/kube-scheduler"
  etcdBinary: "$ETCD_DIR/etcd"
  kwokControllerBinary: "$KWOK_DIR/kwok"
  kubectlBinary: "$(command -v kubectl)"
  # servers listen on loopback only
  bindAddress: 127.0.0.1
  securePort: true
  # --authorization-mode=Node,RBAC and the default admission plugins
  kubeAuthorization: true
  kubeAdmission: true
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - key: token-auth-file
        value: "$STATE/secrets/tokens.csv"
      - key: audit-policy-file
        value: "$STATE/audit-policy.yaml"
      - key: audit-log-path
        value: "$STATE/audit.log"
      - key: audit-log-format
        value: json
      - key: audit-log-mode
        value: blocking
      - key: audit-log-maxsize
        value: "1024"
EOF
}

write_kubeconfigs() {
	local server=$1 ca_data
	ca_data=$(base64 -w0 <"$KWOK_CLUSTER_DIR/pki/ca.crt")
	# kubeconfig_for FILE DEFAULT_CONTEXT USER:CONTEXT...
	kubeconfig_for() {
		local file=$1 current=$2 pair user ctx
		shift 2
		{
			printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: osha-local\n  cluster:\n'
			printf '    server: %s\n    certificate-authority-data: %s\n' "$server" "$ca_data"
			printf 'users:\n'
			for pair in "$@"; do
				user=${pair%%:*}
				printf -- '- name: %s\n  user:\n    token: %s\n' "$user" "$(cat "$STATE/secrets/$user.token")"
			done
			printf 'contexts:\n'
			for pair in "$@"; do
				user=${pair%%:*}
				ctx=${pair#*:}
				printf -- '- name: %s\n  context:\n    cluster: osha-local\n    user: %s\n' "$ctx" "$user"
			done
			printf 'current-context: %s\n' "$current"
		} >"$file.tmp"
		chmod 600 "$file.tmp"
		mv "$file.tmp" "$file"
	}
	kubeconfig_for "$STATE/kubeconfig" admin ha-admin:admin ha-no-rights:no-rights
	kubeconfig_for "$STATE/setup.kubeconfig" setup osha-setup:setup
	kubeconfig_for "$STATE/knative-operator.kubeconfig" knative-operator knative-operator:knative-operator
}

create_control_plane() {
	log "starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (kwokctl --runtime binary)"
	write_tokens
	write_audit_policy
	write_kwokctl_config
	mkdir -p "$STATE/logs"
	if ! KWOK_WORKDIR="$KWOK_WORKDIR" "$KWOK_DIR/kwokctl" --config "$STATE/kwokctl.yaml" \
		create cluster --name "$CLUSTER_NAME" --kubeconfig '' --wait 5m \
		</dev/null >"$STATE/logs/kwokctl-create.log" 2>&1 8>&- 9>&-; then
		tail -n 40 "$STATE/logs/kwokctl-create.log" >&2
		die "kwokctl create cluster failed; log: $STATE/logs/kwokctl-create.log, component logs: $KWOK_CLUSTER_DIR/logs/"
	fi
	local server
	server=$(kubectl --kubeconfig "$KWOK_CLUSTER_DIR/kubeconfig.yaml" config view -o jsonpath='{.clusters[0].cluster.server}')
	[[ "$server" == https://127.0.0.1:* ]] || die "unexpected API server address '$server'"
	write_kubeconfigs "$server"
	for _ in $(seq 60); do
		kc get --raw /readyz >/dev/null 2>&1 && break
		sleep 1
	done
	kc get --raw /readyz >/dev/null || die "API server at $server is not ready"
	log "API server ready at $server"
}

apply_base() {
	log "creating the kwok node, namespaces and CRDs"
	kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/base.yaml" >/dev/null
	kc apply --server-side --field-manager=osha-setup -f "$OPERATOR_DIR/crd/" >/dev/null
	kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/knativekafka-crd.yaml" >/dev/null
	kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/clusterserviceversion-crd.yaml" >/dev/null
	kc apply --server-side --field-manager=osha-setup -n knative-operator \
		-f "$OPERATOR_DIR/manager/config-logging-configmap.yaml" \
		-f "$OPERATOR_DIR/manager/config-observability-configmap.yaml" >/dev/null
	kc wait --for=condition=Established --timeout=60s \
		crd/knativeeventings.operator.knative.dev crd/knativeservings.operator.knative.dev \
		crd/knativekafkas.operator.serverless.openshift.io \
		crd/clusterserviceversions.operators.coreos.com >/dev/null
	kc wait --for=condition=Ready --timeout=120s node/kwok-node-0 >/dev/null ||
		die "the kwok fake node did not become Ready; see $KWOK_CLUSTER_DIR/logs/kwok-controller.log"
}

prepare_kodata() {
	local stamp="$OPERATOR_DIR $TOOLS_DIR"
	[[ "$(cat "$STATE/kodata/.complete" 2>/dev/null)" == "$stamp" ]] && return 0
	rm -rf "$STATE/kodata"
	"$TOOLS_DIR/kodata-prep" -src "$OPERATOR_DIR/kodata" -dst "$STATE/kodata" >>"$STATE/logs/kodata-prep.log" 2>&1 ||
		die "kodata-prep failed; see $STATE/logs/kodata-prep.log"
	printf '%s\n' "$stamp" >"$STATE/kodata/.complete"
	log "operator manifests prepared: $(tail -n 1 "$STATE/logs/kodata-prep.log")"
}

start_operator() {
	running_current "$STATE/pids/knative-operator.pid" "$TOOLS_DIR/netns-run" &&
		running_current "$STATE/pids/knative-operator.pid" "$OPERATOR_DIR/knative-operator" && return 0
	stop_pidfile "$STATE/pids/knative-operator.pid"
	prepare_kodata
	local server
	server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	log "starting the Knative operator $KNATIVE_OPERATOR_VERSION (own network namespace, identity knative-operator)"
	# The environment mirrors the operator's Deployment (config/manager/operator.yaml),
	# except KUBE_API_QPS/BURST: sharedmain's default client rate limit (5 QPS per
	# controller) makes each reconcile of the ~150 Eventing objects take 20-40 s;
	# the local API server is happy with more, and tests wait less.
	start_bg knative-operator env \
		KUBE_API_QPS=50 KUBE_API_BURST=100 \
		KUBECONFIG="$STATE/knative-operator.kubeconfig" \
		KO_DATA_PATH="$STATE/kodata" \
		SYSTEM_NAMESPACE=knative-operator \
		POD_NAME=knative-operator-local \
		METRICS_DOMAIN=knative.dev/operator \
		CONFIG_LOGGING_NAME=config-logging \
		CONFIG_OBSERVABILITY_NAME=config-observability \
		"$TOOLS_DIR/netns-run" -target "${server#https://}" -socket "$(socket_path)" -- \
		"$OPERATOR_DIR/knative-operator"
}

# unix socket paths are limited to 107 bytes
socket_path() {
	local p="$STATE/run/api.sock"
	mkdir -p "$STATE/run"
	if ((${#p} > 100)); then
		p="/tmp/osha-$(printf '%s' "$STATE" | sha256sum | cut -c1-16).sock"
	fi
	printf '%s\n' "$p"
}

start_stand_in() {
	running_current "$STATE/pids/knative-kafka-stand-in.pid" "$TOOLS_DIR/knative-kafka-stand-in" && return 0
	stop_pidfile "$STATE/pids/knative-kafka-stand-in.pid"
	local server
	server=$(kc config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	log "starting the KnativeKafka stand-in (identity knative-kafka-stand-in)"
	start_bg knative-kafka-stand-in "$TOOLS_DIR/knative-kafka-stand-in" \
		-server "$server" -ca-file "$KWOK_CLUSTER_DIR/pki/ca.crt" \
		-token-file "$STATE/secrets/knative-kafka-stand-in.token" -namespace knative-eventing
}

# wait_ready KIND NAME NAMESPACE: waits until Ready=True for the current
# generation; prints progress and, on timeout, the conditions.
wait_ready() {
	local kind=$1 name=$2 ns=$3 pf deadline=$((SECONDS + READY_TIMEOUT)) out gen obs ready last=0 t0=$SECONDS
	while :; do
		out=$(kc get "$kind" "$name" -n "$ns" -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
		read -r gen obs ready <<<"$out" || true
		if [[ -n "$gen" && "$gen" == "$obs" && "$ready" == "True" ]]; then
			log "$kind $ns/$name is Ready (generation $gen, $((SECONDS - t0))s)"
			return 0
		fi
		if ((SECONDS >= deadline)); then
			kc get "$kind" "$name" -n "$ns" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
			[[ "$kind" == knativeeventing || "$kind" == knativeserving ]] && tail -n 20 "$STATE/logs/knative-operator.log" >&2
			[[ "$kind" == knativekafka ]] && tail -n 20 "$STATE/logs/knative-kafka-stand-in.log" >&2
			die "timed out after ${READY_TIMEOUT}s waiting for $kind $ns/$name to be Ready (generation=$gen observedGeneration=$obs Ready=$ready)"
		fi
		if ((SECONDS - last >= 20)); then
			last=$SECONDS
			log "  waiting for $kind $ns/$name: $(kc get "$kind" "$name" -n "$ns" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}' 2>/dev/null || echo 'not found yet')"
		fi
		for pf in knative-operator knative-kafka-stand-in; do
			if [[ -f "$STATE/pids/$pf.pid" ]] && ! pid_alive "$STATE/pids/$pf.pid"; then
				tail -n 30 "$STATE/logs/$pf.log" >&2 || true
				die "$pf exited; log: $STATE/logs/$pf.log"
			fi
		done
		sleep 2
	done
}

apply_knative() {
	kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/knativeeventing.yaml" >/dev/null
	if [[ "$WANT_SERVING" == 1 ]]; then
		kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/knativeserving.yaml" >/dev/null
	fi
	kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/knativekafka.yaml" >/dev/null
	wait_ready knativeeventing knative-eventing knative-eventing
	if [[ "$WANT_SERVING" == 1 ]]; then
		wait_ready knativeserving knative-serving knative-serving
	fi
	wait_ready knativekafka knative-kafka knative-eventing
}

apply_csv() {
	local csv
	csv=$(kc apply --server-side --field-manager=osha-setup -f "$HERE/manifests/clusterserviceversion.yaml" -o jsonpath='{.metadata.name}')
	kc patch clusterserviceversion "$csv" -n openshift-serverless \
		--subresource=status --type=merge \
		-p '{"status":{"phase":"Succeeded","reason":"InstallSucceeded","message":"install strategy completed with no errors (local test cluster: no OLM runs here)"}}' >/dev/null
}

write_env() {
	{
		printf '# Written by hack/local-cluster/cluster.sh up; shell-sourceable.\n'
		printf 'KUBECONFIG=%s\n' "$STATE/kubeconfig"
		printf 'HA_TEST_ADMIN_CONTEXT=admin\n'
		printf 'HA_TEST_NO_RIGHTS_CONTEXT=no-rights\n'
		printf 'HA_TEST_AUDIT_LOG=%s\n' "$STATE/audit.log"
		if [[ "$WANT_SERVING" == 1 ]]; then
			printf 'HA_TEST_SERVING=1\n'
		fi
	} >"$STATE/cluster.env.tmp"
	chmod 644 "$STATE/cluster.env.tmp"
	mv "$STATE/cluster.env.tmp" "$STATE/cluster.env"
}

cmd_up() {
	need go kubectl setsid flock sha256sum base64 od
	[[ "$(id -u)" == 0 ]] || die "run as root (the Knative operator runs in its own network namespace)"
	cmd_build
	tools_dir
	mkdir -p "$STATE"
	STATE="$(cd "$STATE" && pwd)"
	KWOK_WORKDIR="$STATE/kwok"
	KWOK_CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"
	chmod 700 "$STATE"
	exec 9>"$STATE/.lock"
	flock 9
	mkdir -p "$STATE" # a `down` that held the lock may have removed it

	if [[ -f "$STATE/up.done" ]] && control_plane_alive &&
		pid_alive "$STATE/pids/knative-operator.pid" && pid_alive "$STATE/pids/knative-kafka-stand-in.pid" &&
		[[ "$(cat "$STATE/up.done")" == "$(up_fingerprint)" ]]; then
		log "cluster already up and healthy"
	else
		if control_plane_alive && [[ -f "$STATE/kubeconfig" ]]; then
			log "control plane is running; making sure everything on it is in place"
		else
			if [[ -n "$(all_pidfiles)" || -d "$KWOK_WORKDIR" ]]; then
				log "found the state of an earlier cluster that is not running; removing it"
				stop_all
				clean_state
			fi
			create_control_plane
		fi
		rm -f "$STATE/up.done"
		apply_base
		start_operator
		start_stand_in
		apply_csv
		apply_knative
		write_env
		up_fingerprint >"$STATE/up.done"
	fi
	write_env
	log "cluster ready ($((SECONDS - START_TIME))s)"
	printf 'kubeconfig: %s (contexts: admin, no-rights)\n' "$STATE/kubeconfig"
	printf 'environment: %s\n' "$STATE/cluster.env"
}

# what a healthy, completed `up` depends on
up_fingerprint() {
	printf '%s %s %s %s %s serving=%s\n' "$KUBE_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" \
		"$KNATIVE_OPERATOR_VERSION" "$(basename "$TOOLS_DIR")" "$WANT_SERVING"
}

clean_state() {
	# everything but the lock file we hold
	find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
}

cmd_down() {
	if [[ ! -d "$STATE" ]]; then
		log "nothing to stop: $STATE does not exist"
		return 0
	fi
	STATE="$(cd "$STATE" && pwd)"
	KWOK_WORKDIR="$STATE/kwok"
	KWOK_CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"
	exec 9>"$STATE/.lock"
	flock 9
	log "stopping the cluster in $STATE"
	stop_all
	local sock
	sock=$(socket_path)
	rm -f "$sock"
	clean_state
	rm -f "$STATE/.lock"
	rmdir "$STATE" 2>/dev/null || true
	log "cluster stopped and its state removed (binary cache kept in $BIN_ROOT)"
}

cmd_status() {
	[[ -d "$STATE" ]] || {
		echo "no cluster state in $STATE"
		return 1
	}
	STATE="$(cd "$STATE" && pwd)"
	KWOK_WORKDIR="$STATE/kwok"
	KWOK_CLUSTER_DIR="$KWOK_WORKDIR/clusters/$CLUSTER_NAME"
	local f rc=0
	while read -r f; do
		if pid_alive "$f"; then
			printf '%-28s running (pid %s)\n' "$(basename "$f" .pid)" "$(cat "$f")"
		else
			printf '%-28s NOT running\n' "$(basename "$f" .pid)"
			rc=1
		fi
	done < <(all_pidfiles)
	if control_plane_alive; then
		kc get knativeeventing,knativeserving,knativekafka -A 2>/dev/null || true
		kc get clusterserviceversions -A 2>/dev/null || true
	else
		echo "API server not reachable"
		rc=1
	fi
	printf 'kubeconfig: %s\n' "$STATE/kubeconfig"
	return $rc
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
build) cmd_build ;;
*)
	echo "usage: $0 up|down|status|build" >&2
	exit 2
	;;
esac

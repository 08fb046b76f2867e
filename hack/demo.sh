#!/usr/bin/env bash
# `make demo` runs this with the cluster's environment loaded (KUBECONFIG, and for the local
# cluster its admin context): the main job with before/after replicas per deployment.
set -euo pipefail
replicas=${1:-3}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -n "${HA_TEST_ADMIN_CONTEXT:-}" ]; then
	export K8S_AUTH_CONTEXT="$HA_TEST_ADMIN_CONTEXT"
fi
export K8S_AUTH_KUBECONFIG="${KUBECONFIG:?KUBECONFIG must name the cluster}"
echo ">> setting Knative Eventing and Kafka high availability to $replicas replicas on the cluster of $KUBECONFIG"
ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ansible-playbook "$here/demo.yml" -e "replicas=$replicas"

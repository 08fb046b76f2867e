# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration tests: the modules run as Ansible runs them, against a real API server.

The cluster comes from KUBECONFIG (the local cluster's cluster.env sets it, see `make integration`).
Optional, set by the local cluster:
  HA_TEST_ADMIN_CONTEXT      context with cluster-admin rights (default: the current context)
  HA_TEST_NO_RIGHTS_CONTEXT  context of a user with no rights (the 403 tests need it)
  HA_TEST_AUDIT_LOG          the API server's audit log (the request-count tests need it)
The state of the cluster is read with the official kubernetes client, independently of the
collection's own code, and every test restores the replicas it changed.
"""

from __future__ import annotations

import datetime
import json
import os
import time
import typing as t
import uuid
from pathlib import Path

import pytest
from kubernetes import client, config

import ansible_collections.openshift_serverless.ha as collection

MODULES = Path(collection.__path__[0]) / "plugins" / "modules"
COLLECTIONS_PATH = Path(collection.__path__[0]).parents[2]
KUBECONFIG = os.environ.get("KUBECONFIG")
ADMIN_CONTEXT = os.environ.get("HA_TEST_ADMIN_CONTEXT") or None
NO_RIGHTS_CONTEXT = os.environ.get("HA_TEST_NO_RIGHTS_CONTEXT") or None
AUDIT_LOG = os.environ.get("HA_TEST_AUDIT_LOG") or None

if not KUBECONFIG:
    raise pytest.UsageError("The integration tests need a cluster: run `make integration` (local cluster) "
                            "or `make integration KUBECONFIG=/path/to/kubeconfig`.")

needs_no_rights_user = pytest.mark.skipif(NO_RIGHTS_CONTEXT is None, reason="HA_TEST_NO_RIGHTS_CONTEXT not set "
                                          "(only the local cluster provides a user without rights)")
needs_audit_log = pytest.mark.skipif(AUDIT_LOG is None, reason="HA_TEST_AUDIT_LOG not set "
                                     "(only the local cluster provides the API server's audit log)")


class Cr(t.NamedTuple):
    module: str
    group: str
    version: str
    plural: str
    namespace: str
    name: str


EVENTING = Cr("knative_eventing_ha", "operator.knative.dev", "v1beta1", "knativeeventings", "knative-eventing", "knative-eventing")
KAFKA = Cr("knative_kafka_ha", "operator.serverless.openshift.io", "v1alpha1", "knativekafkas", "knative-eventing", "knative-kafka")


class Cluster:
    """Independent access to the cluster through the official client, as the admin."""

    def __init__(self) -> None:
        api_client = config.new_client_from_config(config_file=KUBECONFIG, context=ADMIN_CONTEXT)
        self.custom = client.CustomObjectsApi(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.autoscaling = client.AutoscalingV2Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.coordination = client.CoordinationV1Api(api_client)
        review = client.AuthenticationV1Api(api_client).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        self.username = review.status.user_info.username

    def get(self, cr: Cr) -> dict[str, t.Any]:
        return self.custom.get_namespaced_custom_object(cr.group, cr.version, cr.namespace, cr.plural, cr.name)

    def settled(self, cr: Cr, timeout: float = 120) -> dict[str, t.Any]:
        """The CR once its operator is done with it: observed, and unchanged for two seconds."""
        deadline = time.monotonic() + timeout
        previous = self.get(cr)
        while time.monotonic() < deadline:
            time.sleep(2)
            current = self.get(cr)
            observed = (current.get("status") or {}).get("observedGeneration")
            if current["metadata"]["resourceVersion"] == previous["metadata"]["resourceVersion"] and \
                    observed == current["metadata"]["generation"]:
                return current
            previous = current
        raise AssertionError("%s %s kept changing or was not observed for %ss" % (cr.plural, cr.name, timeout))

    def patch_spec(self, cr: Cr, spec: dict[str, t.Any]) -> None:
        """Merge-patch the spec (None removes a field)."""
        self.custom.patch_namespaced_custom_object(cr.group, cr.version, cr.namespace, cr.plural, cr.name, {"spec": spec})

    def deployment_replicas(self, namespace: str, name: str) -> tuple[int | None, int | None]:
        deployment = self.apps.read_namespaced_deployment(name, namespace)
        return deployment.spec.replicas, deployment.status.ready_replicas

    def hpa_min_replicas(self, namespace: str, name: str) -> int | None:
        return self.autoscaling.read_namespaced_horizontal_pod_autoscaler(name, namespace).spec.min_replicas


class ModuleResult(t.NamedTuple):
    result: dict[str, t.Any]
    returncode: int

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))


def replicas_of(resource: dict[str, t.Any]) -> int | None:
    return ((resource.get("spec") or {}).get("high-availability") or {}).get("replicas")


class AuditLog:
    """The API server's audit log (one JSON event per request at stage ResponseComplete).

    Each counted run impersonates the admin with a group of its own, so requests that other
    processes send to the same cluster at the same time are never counted.
    """

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    @staticmethod
    def marked_identity(user: str) -> tuple[dict[str, t.Any], str]:
        """Module arguments that tag a run's requests, and the tag."""
        marker = "audit-marker-%s" % uuid.uuid4().hex
        return {"impersonate_user": user, "impersonate_groups": ["system:masters", "system:authenticated", marker]}, marker

    def requests_tagged(self, marker: str, expected: int) -> list[dict[str, t.Any]]:
        """Events of the requests tagged with marker; waits for the log to catch up."""
        deadline = time.monotonic() + 10
        events = self._read(marker)
        while len(events) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
            events = self._read(marker)
        time.sleep(1)  # anything beyond what we expected would show up by now
        return self._read(marker)

    def _read(self, marker: str) -> list[dict[str, t.Any]]:
        events = []
        with self.path.open("rb") as log:
            for line in log:
                if marker.encode() in line:
                    event = json.loads(line)
                    if event.get("stage") == "ResponseComplete" and marker in (event.get("impersonatedUser") or {}).get("groups", []):
                        events.append(event)
        return events


def wait_for(description: str, probe: t.Callable[[], t.Any], expected: t.Any, timeout: float = 240) -> None:
    """Poll until probe() == expected; on timeout fail with the last value seen."""
    deadline = time.monotonic() + timeout
    value = probe()
    while value != expected and time.monotonic() < deadline:
        time.sleep(2)
        value = probe()
    assert value == expected, "%s: expected %r, still %r after %ss" % (description, expected, value, timeout)


def lease_body(name: str, holder: str | None, renewed_seconds_ago: int, duration: int = 60) -> dict[str, t.Any]:
    """A leader-election Lease as knative's leader election writes it."""
    renew = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=renewed_seconds_ago)
    spec: dict[str, t.Any] = {"leaseDurationSeconds": duration,
                              "renewTime": renew.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                              "acquireTime": renew.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if holder:
        spec["holderIdentity"] = holder
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name}, "spec": spec}

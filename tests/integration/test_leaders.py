# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""knative_ha_info names the leading replica from real Lease objects.

On the local cluster the controllers' pods are fake (kwok) and run no Knative code, so no
one holds a Lease; the test writes Leases the way knative's leader election does, naming
real pods of eventing-controller, and removes them afterwards.
"""

from __future__ import annotations

import typing as t
import uuid

import pytest
from ha_cluster import lease_body

NAMESPACE = "knative-eventing"
QUEUE = "knative.dev.eventing.pkg.reconciler.%s.reconciler.00-of-01"


@pytest.fixture
def leases(cluster) -> t.Iterator[t.Callable[[dict[str, t.Any]], None]]:
    created: list[str] = []

    def create(body: dict[str, t.Any]) -> None:
        cluster.coordination.create_namespaced_lease(NAMESPACE, body)
        created.append(body["metadata"]["name"])

    yield create
    for name in created:
        cluster.coordination.delete_namespaced_lease(name, NAMESPACE)


def test_leader_of_each_lease_and_expired_ones(cluster, leases, run_module):
    pods = [pod.metadata.name for pod in cluster.core.list_namespaced_pod(
        NAMESPACE, label_selector="app=eventing-controller").items]
    assert pods, "eventing-controller runs no pod"
    leader = pods[0]
    gone = leader.rsplit("-", 1)[0] + "-gone0"  # a replica that died without giving its Lease up
    suffix = uuid.uuid4().hex[:8]
    live = "eventing-controller.%s-%s" % (QUEUE % "broker", suffix)
    stale = "eventing-controller.%s-%s" % (QUEUE % "trigger", suffix)
    leases(lease_body(live, "%s_%s" % (leader, uuid.uuid4()), renewed_seconds_ago=5))
    leases(lease_body(stale, "%s_%s" % (gone, uuid.uuid4()), renewed_seconds_ago=600))

    run = run_module("knative_ha_info", component="eventing")

    assert not run.failed, run.result.get("msg")
    reported = {lease["name"]: lease for lease in run.result["leases"]}
    assert reported[live]["pod"] == leader and reported[live]["deployment"] == "eventing-controller"
    assert reported[live]["expired"] is False
    assert reported[stale]["pod"] == gone and reported[stale]["deployment"] == "eventing-controller"
    assert reported[stale]["expired"] is True
    controller = next(row for row in run.result["deployments"] if row["name"] == "eventing-controller")
    assert {"pod": leader, "leases": 1} in controller["leaders"]
    assert all(held["pod"] != gone for held in controller["leaders"])
    assert any(line.startswith("eventing-controller") and leader in line for line in run.result["table"])

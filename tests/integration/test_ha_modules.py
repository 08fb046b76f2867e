# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""knative_eventing_ha and knative_kafka_ha against a real API server and operator."""

from __future__ import annotations

import pytest
from ha_cluster import EVENTING, KAFKA, NO_RIGHTS_CONTEXT, needs_audit_log, needs_no_rights_user, replicas_of, wait_for

BOTH = pytest.mark.parametrize("cr", [EVENTING, KAFKA], ids=["eventing", "kafka"])


def other_value(current: int | None) -> int:
    """A valid replica count different from the current one."""
    return 3 if current != 3 else 2


@BOTH
def test_change_is_stored(cr, cluster, restore, run_module):
    before = restore(cr)
    wanted = other_value(replicas_of(before))

    run = run_module(cr.module, replicas=wanted)

    assert not run.failed, run.result.get("msg")
    assert run.result["changed"] is True
    assert run.result["previous_replicas"] == replicas_of(before)
    after = cluster.get(cr)
    assert replicas_of(after) == wanted
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1


@BOTH
def test_noop_changes_nothing(cr, cluster, restore, run_module):
    current = replicas_of(restore(cr)) or 2
    run_module(cr.module, replicas=current)
    before = cluster.settled(cr)

    run = run_module(cr.module, replicas=current)

    assert run.result["changed"] is False
    assert cluster.get(cr)["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


@BOTH
def test_check_mode_changes_nothing_on_the_server(cr, cluster, restore, run_module):
    restore(cr)
    before = cluster.settled(cr)
    wanted = other_value(replicas_of(before))

    run = run_module(cr.module, replicas=wanted, check_mode=True, diff=True)

    assert run.result["changed"] is True
    assert replicas_of(run.result["resource"]) == wanted  # what the server's dry run answered
    after = cluster.get(cr)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert replicas_of(after) == replicas_of(before)


@BOTH
def test_diff_shows_before_and_after(cr, restore, run_module):
    before = replicas_of(restore(cr))
    wanted = other_value(before)

    run = run_module(cr.module, replicas=wanted, diff=True)

    assert run.result["diff"] == {
        "before": {"high-availability": None if before is None else {"replicas": before}},
        "after": {"high-availability": {"replicas": wanted}},
    }


@BOTH
def test_wrong_name_says_what_is_missing(cr, run_module):
    run = run_module(cr.module, replicas=2, name="does-not-exist")

    assert run.failed and run.returncode == 1
    assert "not found in namespace %s" % cr.namespace in run.result["msg"]
    assert "does-not-exist" in run.result["msg"]


@needs_no_rights_user
@BOTH
def test_user_without_rights_gets_clear_403_and_cr_is_unchanged(cr, cluster, run_module):
    before = cluster.settled(cr)

    run = run_module(cr.module, replicas=other_value(replicas_of(before)), context=NO_RIGHTS_CONTEXT)

    assert run.failed and run.result["status_code"] == 403
    assert "Permission denied" in run.result["msg"]
    assert 'may not get %s.%s "%s" in namespace "%s"' % (cr.plural, cr.group, cr.name, cr.namespace) in run.result["msg"]
    assert "cluster-admin" in run.result["msg"]
    assert cluster.get(cr)["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


@needs_audit_log
@BOTH
def test_noop_makes_exactly_one_request(cr, restore, run_module, audit_log, cluster):
    current = replicas_of(restore(cr)) or 2
    run_module(cr.module, replicas=current)
    identity, marker = audit_log.marked_identity(cluster.username)

    run = run_module(cr.module, replicas=current, **identity)

    assert run.result["changed"] is False and run.result["api_requests"] == 1
    events = audit_log.requests_tagged(marker, expected=1)
    assert [(e["verb"], e["objectRef"]["resource"]) for e in events] == [("get", cr.plural)]


@needs_audit_log
@BOTH
def test_change_makes_exactly_two_requests(cr, restore, run_module, audit_log, cluster):
    wanted = other_value(replicas_of(restore(cr)))
    identity, marker = audit_log.marked_identity(cluster.username)

    run = run_module(cr.module, replicas=wanted, **identity)

    assert run.result["changed"] is True and run.result["api_requests"] == 2
    events = audit_log.requests_tagged(marker, expected=2)
    assert [(e["verb"], e["objectRef"]["resource"]) for e in events] == [("get", cr.plural), ("patch", cr.plural)]


def test_eventing_operator_scales_the_control_plane(cluster, restore, run_module):
    restore(EVENTING)

    run = run_module(EVENTING.module, replicas=3, wait=True, wait_timeout=300)

    assert not run.failed, run.result.get("msg")
    resource = run.result["resource"]
    assert resource["status"]["observedGeneration"] >= resource["metadata"]["generation"]
    for deployment in ("eventing-controller", "imc-controller", "imc-dispatcher", "mt-broker-controller"):
        wait_for("deployment %s (spec, ready)" % deployment,
                 lambda name=deployment: cluster.deployment_replicas("knative-eventing", name), (3, 3))
    wait_for("HPA eventing-webhook minReplicas", lambda: cluster.hpa_min_replicas("knative-eventing", "eventing-webhook"), 3)


def test_workload_replicas_scale_what_ha_skips(cluster, restore, run_module):
    """mt-broker-ingress is autoscaled: the operator raises its HPA minimum to the workload's replicas."""
    high_availability = replicas_of(restore(EVENTING)) or 2

    run = run_module(EVENTING.module, replicas=high_availability, workload_replicas={"mt-broker-ingress": 4}, wait=True)

    assert not run.failed and run.result["changed"] is True, run.result.get("msg")
    assert {"name": "mt-broker-ingress", "replicas": 4} in cluster.get(EVENTING)["spec"]["workloads"]
    wait_for("HPA broker-ingress-hpa minReplicas", lambda: cluster.hpa_min_replicas("knative-eventing", "broker-ingress-hpa"), 4)
    wait_for("deployment mt-broker-ingress (spec, ready)",
             lambda: cluster.deployment_replicas("knative-eventing", "mt-broker-ingress"), (4, 4))


def test_kafka_operator_scales_controller_and_webhook(cluster, restore, run_module):
    restore(KAFKA)

    run = run_module(KAFKA.module, replicas=3, wait=True, wait_timeout=300)

    assert not run.failed, run.result.get("msg")
    for deployment in ("kafka-controller", "kafka-webhook-eventing"):
        wait_for("deployment %s (spec, ready)" % deployment,
                 lambda name=deployment: cluster.deployment_replicas("knative-eventing", name), (3, 3))


def test_kafka_refuses_zero_before_touching_the_cluster(cluster, run_module):
    before = cluster.settled(KAFKA)

    run = run_module(KAFKA.module, replicas=0)

    assert run.failed and "needs at least 1 replica" in run.result["msg"]
    assert "api_requests" not in run.result
    assert cluster.get(KAFKA)["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

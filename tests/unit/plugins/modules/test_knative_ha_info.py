# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""knative_ha_info against the fake API server: replicas, HPAs, overrides, leaders, waiting."""

from __future__ import annotations

import datetime
import threading
import typing as t

import pytest

from ansible_collections.openshift_serverless.ha.plugins.modules import knative_ha_info

NAMESPACE = "/namespaces/knative-eventing"
EVENTING = "/apis/operator.knative.dev/v1beta1" + NAMESPACE + "/knativeeventings/knative-eventing"
KAFKA = "/apis/operator.serverless.openshift.io/v1alpha1" + NAMESPACE + "/knativekafkas/knative-kafka"
DEPLOYMENTS = "/apis/apps/v1" + NAMESPACE + "/deployments"
HPAS = "/apis/autoscaling/v2" + NAMESPACE + "/horizontalpodautoscalers"
LEASES = "/apis/coordination.k8s.io/v1" + NAMESPACE + "/leases"

EVENTING_REPLICA_SCALED = ("eventing-controller", "imc-controller", "imc-dispatcher", "mt-broker-controller")


def deployment(name: str, desired: int, ready: int | None = None, generation: int = 1, observed: int = 1) -> dict[str, t.Any]:
    ready = desired if ready is None else ready
    return {"kind": "Deployment", "metadata": {"name": name, "generation": generation},
            "spec": {"replicas": desired},
            "status": {"observedGeneration": observed, "replicas": desired, "readyReplicas": ready,
                       "availableReplicas": ready, "updatedReplicas": desired}}


def hpa(name: str, target: str, minimum: int, maximum: int) -> dict[str, t.Any]:
    return {"kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": target}, "minReplicas": minimum, "maxReplicas": maximum}}


def lease(name: str, holder: str | None, seconds_ago: float = 5, duration: int = 60) -> dict[str, t.Any]:
    renewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    spec: dict[str, t.Any] = {"leaseDurationSeconds": duration, "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if holder:
        spec["holderIdentity"] = holder
    return {"kind": "Lease", "metadata": {"name": name}, "spec": spec}


def eventing_cr(replicas: int = 2, **spec: t.Any) -> dict[str, t.Any]:
    return {"kind": "KnativeEventing", "metadata": {"name": "knative-eventing", "generation": 1},
            "spec": dict(spec, **{"high-availability": {"replicas": replicas}}), "status": {"observedGeneration": 1}}


def install_eventing(server, replicas: int = 2) -> None:
    """What the Knative operator creates for Eventing 1.23, at `replicas`."""
    server.add(EVENTING, eventing_cr(replicas))
    for name in EVENTING_REPLICA_SCALED:
        server.add(DEPLOYMENTS + "/" + name, deployment(name, replicas))
    for name in ("eventing-webhook", "mt-broker-ingress", "mt-broker-filter"):
        server.add(DEPLOYMENTS + "/" + name, deployment(name, replicas))
    server.add(DEPLOYMENTS + "/pingsource-mt-adapter", deployment("pingsource-mt-adapter", 0))
    server.add(HPAS + "/eventing-webhook", hpa("eventing-webhook", "eventing-webhook", replicas, 5 + replicas))
    server.add(HPAS + "/broker-ingress-hpa", hpa("broker-ingress-hpa", "mt-broker-ingress", replicas, 9 + replicas))
    server.add(HPAS + "/broker-filter-hpa", hpa("broker-filter-hpa", "mt-broker-filter", replicas, 9 + replicas))
    server.serve(LEASES)


@pytest.fixture
def info(kubeconfig, run_module):
    def run(component: str = "eventing", **args: t.Any):
        return run_module(knative_ha_info.main, dict(args, kubeconfig=kubeconfig, component=component))
    return run


def rows(run, key: str = "deployments") -> dict[str, dict[str, t.Any]]:
    return {row["name"]: row for row in run.result[key]}


def test_reports_eventing_in_four_reads(api_server, info):
    install_eventing(api_server, replicas=2)

    run = info()

    assert not run.failed, run.result.get("msg")
    assert run.result["changed"] is False
    assert [(r.method, r.path) for r in api_server.requests] == [
        ("GET", EVENTING), ("GET", DEPLOYMENTS), ("GET", HPAS), ("GET", LEASES)]
    assert run.result["api_requests"] == 4
    assert run.result["ha_replicas"] == 2
    scaled = rows(run)
    assert list(scaled) == ["eventing-controller", "eventing-webhook", "imc-controller", "imc-dispatcher", "mt-broker-controller"]
    assert scaled["eventing-controller"] == {
        "name": "eventing-controller", "present": True, "scaled_by_ha": True, "desired": 2, "ready": 2, "available": 2,
        "updated": 2, "rollout_observed": True, "hpa": None, "shadowed_by": None, "leaders": [], "leases": 0, "note": None}
    assert scaled["eventing-webhook"]["hpa"] == {"name": "eventing-webhook", "present": True, "min_replicas": 2, "max_replicas": 7}


def test_lists_what_high_availability_does_not_scale(api_server, info):
    install_eventing(api_server)

    run = info()

    unscaled = rows(run, "not_scaled")
    assert list(unscaled) == ["mt-broker-ingress", "mt-broker-filter", "pingsource-mt-adapter"]
    assert unscaled["mt-broker-ingress"]["hpa"]["name"] == "broker-ingress-hpa"
    assert "scale it by hand" in unscaled["mt-broker-ingress"]["note"]
    assert "PingSource controller" in unscaled["pingsource-mt-adapter"]["note"]
    assert any(line.startswith("mt-broker-filter (not scaled by HA)") for line in run.result["table"])
    assert run.result["notes"] == [
        "mt-broker-ingress: " + unscaled["mt-broker-ingress"]["note"],
        "mt-broker-filter: " + unscaled["mt-broker-filter"]["note"],
        "pingsource-mt-adapter: the PingSource controller scales it (0 while no PingSource exists).",
    ]


def test_job_sink_appears_where_it_exists(api_server, info):
    install_eventing(api_server)
    api_server.add(DEPLOYMENTS + "/job-sink", deployment("job-sink", 2))

    run = info()

    assert rows(run)["job-sink"]["desired"] == 2


def test_missing_deployment_that_is_always_installed(api_server, info):
    install_eventing(api_server)
    del api_server.objects[DEPLOYMENTS + "/imc-dispatcher"]

    run = info()

    assert rows(run)["imc-dispatcher"]["present"] is False
    assert rows(run)["imc-dispatcher"]["desired"] is None
    assert any(line.startswith("imc-dispatcher (missing)") for line in run.result["table"])


def test_table(api_server, info):
    install_eventing(api_server)
    api_server.add(LEASES + "/eventing-controller.reconciler.00-of-01",
                   lease("eventing-controller.reconciler.00-of-01", "eventing-controller-6d8c9b7f4d-x2x9k_8a1e"))

    table = info().result["table"]

    assert table[0].split() == ["DEPLOYMENT", "DESIRED", "READY", "AVAILABLE", "HPA", "MIN/MAX", "LEADER"]
    assert table[1].split() == ["eventing-controller", "2", "2", "2", "-", "eventing-controller-6d8c9b7f4d-x2x9k", "(1/1", "leases)"]
    assert table[2].split() == ["eventing-webhook", "2", "2", "2", "2/7", "-"]
    assert table[1][table[0].index("DESIRED")] == "2" and table[2][table[0].index("HPA MIN/MAX")] == "2"
    assert len(table) == 1 + 5 + 3


def test_leaders_from_leases(api_server, info):
    install_eventing(api_server)
    leader = "eventing-controller-6d8c9b7f4d-x2x9k"
    for bucket in range(3):
        name = "eventing-controller.knative.dev.eventing.pkg.reconciler.broker.reconciler.%02d-of-03" % bucket
        api_server.add(LEASES + "/" + name, lease(name, "%s_3c1a7b52-1f0e-4f5e-9a59-0f6f3c0f9d1%d" % (leader, bucket)))
    api_server.add(LEASES + "/imc-controller.knative.dev.eventing.pkg.reconciler.inmemorychannel.00-of-01",
                   lease("imc-controller.knative.dev.eventing.pkg.reconciler.inmemorychannel.00-of-01",
                         "imc-controller-5b9d7c6f8-abcde_1111", seconds_ago=120, duration=60))
    api_server.add(LEASES + "/mt-broker-controller.knative.dev.eventing.pkg.reconciler.broker.00-of-01",
                   lease("mt-broker-controller.knative.dev.eventing.pkg.reconciler.broker.00-of-01", None))
    api_server.add(LEASES + "/kafka-controller.knative.dev.eventing.kafka.00-of-01",
                   lease("kafka-controller.knative.dev.eventing.kafka.00-of-01", "kafka-controller-7f6d5c4b3-zzzzz_2222"))

    run = info()

    scaled = rows(run)
    assert scaled["eventing-controller"]["leaders"] == [{"pod": leader, "leases": 3}]
    assert scaled["eventing-controller"]["leases"] == 3
    assert scaled["imc-controller"]["leaders"] == [] and scaled["imc-controller"]["leases"] == 1
    assert scaled["mt-broker-controller"]["leaders"] == [] and scaled["mt-broker-controller"]["leases"] == 1
    leases = {entry["name"]: entry for entry in run.result["leases"]}
    assert "kafka-controller.knative.dev.eventing.kafka.00-of-01" not in leases
    expired = leases["imc-controller.knative.dev.eventing.pkg.reconciler.inmemorychannel.00-of-01"]
    assert expired["expired"] is True and expired["pod"] == "imc-controller-5b9d7c6f8-abcde"
    assert expired["deployment"] == "imc-controller"
    unheld = leases["mt-broker-controller.knative.dev.eventing.pkg.reconciler.broker.00-of-01"]
    assert unheld["holder"] is None and unheld["expired"] is True and unheld["deployment"] == "mt-broker-controller"
    table = {line.split()[0]: line for line in run.result["table"][1:]}
    assert table["eventing-controller"].endswith("%s (3/3 leases)" % leader)
    assert table["imc-controller"].endswith("none")


def test_two_leaders_when_buckets_are_split(api_server, info):
    install_eventing(api_server)
    for bucket, pod in enumerate(("eventing-controller-6d8c9b7f4d-aaaaa", "eventing-controller-6d8c9b7f4d-bbbbb")):
        name = "eventing-controller.reconciler.%02d-of-02" % bucket
        api_server.add(LEASES + "/" + name, lease(name, pod + "_uuid"))

    run = info()

    assert rows(run)["eventing-controller"]["leaders"] == [
        {"pod": "eventing-controller-6d8c9b7f4d-aaaaa", "leases": 1}, {"pod": "eventing-controller-6d8c9b7f4d-bbbbb", "leases": 1}]


def test_workload_override_is_reported_and_waited_for(api_server, info):
    install_eventing(api_server, replicas=3)
    api_server.objects[EVENTING] = eventing_cr(3, workloads=[{"name": "imc-dispatcher", "replicas": 1}])
    api_server.objects[DEPLOYMENTS + "/imc-dispatcher"] = deployment("imc-dispatcher", 1)

    run = info(wait_for_replicas=3, wait_timeout=0)

    assert not run.failed, run.result.get("msg")
    assert rows(run)["imc-dispatcher"]["shadowed_by"] == {"field": "spec.workloads", "name": "imc-dispatcher", "replicas": 1}
    assert any(line.startswith("imc-dispatcher (spec.workloads replicas=1)") for line in run.result["table"])
    assert run.result["notes"][0] == "imc-dispatcher: spec.workloads sets replicas=1 for it, which overrides high availability."


def test_wait_returns_at_once_when_all_are_there(api_server, info):
    install_eventing(api_server, replicas=3)

    run = info(wait_for_replicas="3", wait_timeout=5)

    assert not run.failed, run.result.get("msg")
    assert run.result["api_requests"] == 4


def test_wait_polls_until_the_operator_scaled(api_server, info):
    install_eventing(api_server, replicas=2)
    api_server.objects[EVENTING] = eventing_cr(3)

    def operator_scales_up() -> None:
        for name in EVENTING_REPLICA_SCALED:
            api_server.objects[DEPLOYMENTS + "/" + name] = deployment(name, 3)
        for name, target in (("eventing-webhook", "eventing-webhook"), ("broker-ingress-hpa", "mt-broker-ingress"),
                             ("broker-filter-hpa", "mt-broker-filter")):
            api_server.objects[HPAS + "/" + name] = hpa(name, target, 3, 10)

    timer = threading.Timer(0.3, operator_scales_up)
    timer.start()
    try:
        run = info(wait_for_replicas=3, wait_timeout=30, wait_sleep=1)
    finally:
        timer.cancel()

    assert not run.failed, run.result.get("msg")
    assert all(row["desired"] == row["ready"] == 3 for row in run.result["deployments"] if not row["hpa"])
    paths = [r.path for r in api_server.requests]
    assert paths[:3] == [EVENTING, DEPLOYMENTS, HPAS] and paths[-1] == LEASES
    assert paths[3:-1] == [DEPLOYMENTS, HPAS] * ((len(paths) - 4) // 2) and len(paths) >= 6
    assert LEASES not in paths[:-1]


def test_wait_timeout_says_what_is_behind(api_server, info):
    install_eventing(api_server, replicas=2)
    api_server.objects[EVENTING] = eventing_cr(3)
    api_server.objects[DEPLOYMENTS + "/eventing-controller"] = deployment("eventing-controller", 3, ready=1)
    api_server.objects[DEPLOYMENTS + "/imc-controller"] = deployment("imc-controller", 3, generation=2, observed=1)
    del api_server.objects[DEPLOYMENTS + "/mt-broker-controller"]

    run = info(wait_for_replicas=3, wait_timeout=0)

    assert run.failed
    message = run.result["msg"]
    assert message.startswith("Knative Eventing did not reach 3 replicas within 0 seconds: ")
    assert "eventing-controller: 1 of 3 ready" in message
    assert "eventing-webhook: HPA eventing-webhook has minReplicas 2, want 3 or more" in message
    assert "imc-controller: the deployment controller has not observed the change yet" in message
    assert "imc-dispatcher: desired 2, want 3 (the operator has not applied it yet)" in message
    assert "mt-broker-controller: deployment not found" in message
    assert "mt-broker-ingress: HPA broker-ingress-hpa has minReplicas 2, want 3 or more" in message
    assert "pingsource" not in message
    assert "check the operator's logs and the events of namespace knative-eventing" in message
    assert run.result["table"][0].startswith("DEPLOYMENT")
    assert run.result["api_requests"] == 4


def test_missing_hpa_of_an_autoscaled_deployment(api_server, info):
    install_eventing(api_server, replicas=3)
    del api_server.objects[HPAS + "/eventing-webhook"]

    run = info(wait_for_replicas=3, wait_timeout=0)

    assert "eventing-webhook: HPA eventing-webhook not found" in run.result["msg"]


def test_hpa_above_the_request_is_fine(api_server, info):
    install_eventing(api_server, replicas=3)
    api_server.objects[HPAS + "/eventing-webhook"] = hpa("eventing-webhook", "eventing-webhook", 5, 10)

    run = info(wait_for_replicas=3, wait_timeout=0)

    assert not run.failed, run.result.get("msg")


@pytest.mark.parametrize("value", [True, "three", -1, 2.5, "2.0"])
def test_invalid_wait_for_replicas_fails_before_any_request(api_server, info, value):
    install_eventing(api_server)

    run = info(wait_for_replicas=value)

    assert run.failed
    assert run.result["msg"].startswith("wait_for_replicas must be a whole number, 0 or more, got ")
    assert api_server.requests == []


def test_kafka_reports_its_own_deployments_only(api_server, info):
    install_eventing(api_server)
    api_server.add(KAFKA, {"kind": "KnativeKafka", "metadata": {"name": "knative-kafka"},
                           "spec": {"high-availability": {"replicas": 2}}})
    for name in ("kafka-controller", "kafka-webhook-eventing", "kafka-broker-receiver"):
        api_server.add(DEPLOYMENTS + "/" + name, deployment(name, 2 if name != "kafka-broker-receiver" else 1))

    run = info("kafka", wait_for_replicas=2, wait_timeout=0)

    assert not run.failed, run.result.get("msg")
    assert list(rows(run)) == ["kafka-controller", "kafka-webhook-eventing"]
    assert list(rows(run, "not_scaled")) == ["kafka-broker-receiver"]
    assert api_server.requests[0].path == KAFKA


def test_component_not_installed(api_server, info):
    api_server.serve(EVENTING)

    run = info()

    assert run.failed
    assert run.result["msg"] == ("Knative Eventing is not installed: KnativeEventing knative-eventing not found in namespace "
                                 "knative-eventing. Install it first (create the KnativeEventing resource), or set name and "
                                 "namespace to the resource that exists.")
    assert run.result["api_requests"] == 1


def test_crd_not_served(api_server, info):
    run = info("kafka")

    assert run.failed
    assert run.result["msg"] == ("The OpenShift Serverless operator is not installed: the API does not serve "
                                 "knativekafkas.operator.serverless.openshift.io/v1alpha1 (CustomResourceDefinition "
                                 "knativekafkas.operator.serverless.openshift.io is missing). Install the OpenShift "
                                 "Serverless operator first.")


def test_listing_refused_names_the_permission(api_server, info):
    install_eventing(api_server)
    api_server.fail_next("GET", LEASES, 403, {"kind": "Status", "code": 403, "reason": "Forbidden", "message": "forbidden"})

    run = info()

    assert run.failed
    assert run.result["msg"].startswith('Permission denied: the user may not list leases.coordination.k8s.io in namespace '
                                        '"knative-eventing" (403 Forbidden). Changing the high-availability settings')


def test_serving_with_kourier(api_server, info):
    serving = "/namespaces/knative-serving"
    api_server.add("/apis/operator.knative.dev/v1beta1" + serving + "/knativeservings/knative-serving",
                   {"kind": "KnativeServing", "metadata": {"name": "knative-serving"}, "spec": {"high-availability": {"replicas": 3}}})
    for name in ("activator", "autoscaler", "autoscaler-hpa", "controller", "webhook", "net-kourier-controller",
                 "3scale-kourier-gateway"):
        api_server.add("/apis/apps/v1" + serving + "/deployments/" + name, deployment(name, 3))
    for name in ("activator", "webhook", "3scale-kourier-gateway"):
        api_server.add("/apis/autoscaling/v2" + serving + "/horizontalpodautoscalers/" + name, hpa(name, name, 3, 10))
    api_server.serve("/apis/coordination.k8s.io/v1" + serving + "/leases")

    run = info("serving", wait_for_replicas=3, wait_timeout=0)

    assert not run.failed, run.result.get("msg")
    assert list(rows(run)) == ["activator", "autoscaler", "controller", "webhook", "autoscaler-hpa",
                               "net-kourier-controller", "3scale-kourier-gateway"]
    assert rows(run)["3scale-kourier-gateway"]["hpa"]["min_replicas"] == 3
    assert rows(run, "not_scaled") == {}

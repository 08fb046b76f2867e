# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""knative_ha_prerequisites against the fake API server: each check passing and failing."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.openshift_serverless.ha.plugins.modules import knative_ha_prerequisites

REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
EVENTING = "/apis/operator.knative.dev/v1beta1/namespaces/knative-eventing/knativeeventings/knative-eventing"
KAFKA = "/apis/operator.serverless.openshift.io/v1alpha1/namespaces/knative-eventing/knativekafkas/knative-kafka"
SERVING = "/apis/operator.knative.dev/v1beta1/namespaces/knative-serving/knativeservings/knative-serving"
CSVS = "/apis/operators.coreos.com/v1alpha1/namespaces/openshift-serverless/clusterserviceversions"
CSV = CSVS + "/serverless-operator.v1.38.0"
EVENTING_CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/knativeeventings.operator.knative.dev"
OPERATOR_DEPLOYMENT = "/apis/apps/v1/namespaces/knative-operator/deployments/knative-operator"


def knative_cr(kind: str, name: str, namespace: str, generation: int = 1, observed: int = 1,
               ready: str = "True") -> dict[str, t.Any]:
    return {
        "kind": kind, "metadata": {"name": name, "namespace": namespace, "generation": generation},
        "spec": {"high-availability": {"replicas": 2}},
        "status": {"observedGeneration": observed, "conditions": [
            {"type": "Ready", "status": ready, "reason": "DeploymentsNotReady" if ready != "True" else None,
             "message": "waiting for eventing-controller" if ready != "True" else None},
            {"type": "InstallSucceeded", "status": "True"}]},
    }


def csv(name: str = "serverless-operator.v1.38.0", phase: str = "Succeeded", message: str | None = None) -> dict[str, t.Any]:
    return {"kind": "ClusterServiceVersion", "metadata": {"name": name, "namespace": "openshift-serverless"},
            "spec": {"version": name.split(".v", 1)[1]}, "status": {"phase": phase, "message": message}}


@pytest.fixture
def cluster(api_server):
    """An OpenShift-shaped cluster: the serverless operator installed by OLM, Eventing Ready."""
    api_server.serve(REVIEWS)
    api_server.add(CSV, csv())
    api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing"))
    return api_server


@pytest.fixture
def prerequisites(kubeconfig, run_module):
    def run(component: str = "eventing", check_mode: bool = False, **args: t.Any):
        return run_module(knative_ha_prerequisites.main, dict(args, kubeconfig=kubeconfig, component=component),
                          check_mode=check_mode)
    return run


def reviewed(server) -> list[tuple[str, str, str, str, str | None]]:
    """(verb, group, resource, namespace, name) of each access review sent."""
    reviews = []
    for request in server.requests:
        if request.path == REVIEWS:
            assert request.method == "POST"
            assert request.body["kind"] == "SelfSubjectAccessReview"
            attributes = request.body["spec"]["resourceAttributes"]
            reviews.append((attributes["verb"], attributes["group"], attributes["resource"], attributes["namespace"],
                            attributes.get("name")))
    return reviews


def statuses(run) -> dict[str, str]:
    return {check["name"]: check["status"] for check in run.result["checks"]}


def test_eventing_ready_passes_in_seven_reads(cluster, prerequisites):
    run = prerequisites("eventing")

    assert not run.failed, run.result.get("msg")
    assert run.result["changed"] is False
    assert statuses(run) == {"rights": "passed", "operator": "passed", "eventing_installed": "passed"}
    assert reviewed(cluster) == [
        ("get", "operator.knative.dev", "knativeeventings", "knative-eventing", "knative-eventing"),
        ("patch", "operator.knative.dev", "knativeeventings", "knative-eventing", "knative-eventing"),
        ("list", "apps", "deployments", "knative-eventing", None),
        ("list", "autoscaling", "horizontalpodautoscalers", "knative-eventing", None),
        ("list", "coordination.k8s.io", "leases", "knative-eventing", None),
    ]
    assert [(r.method, r.path) for r in cluster.requests[5:]] == [("GET", CSVS), ("GET", EVENTING)]
    assert run.result["api_requests"] == len(cluster.requests) == 7
    assert run.result["operator"] == {"installed_by": "olm", "name": "serverless-operator.v1.38.0",
                                      "namespace": "openshift-serverless", "version": "1.38.0"}


def test_kafka_also_needs_to_read_the_knative_eventing(cluster, prerequisites):
    cluster.add(KAFKA, knative_cr("KnativeKafka", "knative-kafka", "knative-eventing"))

    run = prerequisites("kafka")

    assert not run.failed, run.result.get("msg")
    assert statuses(run) == {"rights": "passed", "operator": "passed", "kafka_installed": "passed",
                             "eventing_installed": "passed"}
    assert reviewed(cluster)[:2] == [
        ("get", "operator.serverless.openshift.io", "knativekafkas", "knative-eventing", "knative-kafka"),
        ("patch", "operator.serverless.openshift.io", "knativekafkas", "knative-eventing", "knative-kafka"),
    ]
    assert reviewed(cluster)[-1] == ("get", "operator.knative.dev", "knativeeventings", "knative-eventing", "knative-eventing")
    assert [r.path for r in cluster.requests[6:]] == [CSVS, KAFKA, EVENTING]
    assert run.result["api_requests"] == 9


def test_serving(cluster, prerequisites):
    cluster.add(SERVING, knative_cr("KnativeServing", "knative-serving", "knative-serving"))

    run = prerequisites("serving")

    assert not run.failed, run.result.get("msg")
    assert statuses(run) == {"rights": "passed", "operator": "passed", "serving_installed": "passed"}
    assert {review[3] for review in reviewed(cluster)} == {"knative-serving"}


def test_refused_rights_are_named_and_nothing_else_is_read(cluster, prerequisites):
    cluster.denied.update({("patch", "knativeeventings.operator.knative.dev"), ("list", "leases.coordination.k8s.io")})

    run = prerequisites("eventing")

    assert run.failed
    message = run.result["msg"]
    assert message.startswith("1 prerequisite of changing the high availability of Knative Eventing is not met. [rights] ")
    assert ('may not patch knativeeventings.operator.knative.dev "knative-eventing" in namespace "knative-eventing"; '
            'nor list leases.coordination.k8s.io in namespace "knative-eventing".') in message
    assert "requires cluster-admin (or dedicated-admin on ROSA and OpenShift Dedicated)" in message
    assert "get knativeeventings" not in message and "deployments" not in message
    assert statuses(run) == {"rights": "failed", "operator": "skipped", "eventing_installed": "skipped"}
    assert {r.path for r in cluster.requests} == {REVIEWS}
    assert run.result["api_requests"] == 5


def test_refused_read_of_the_knative_eventing_for_kafka(cluster, prerequisites):
    cluster.add(KAFKA, knative_cr("KnativeKafka", "knative-kafka", "knative-eventing"))
    cluster.denied.add(("get", "knativeeventings.operator.knative.dev"))

    run = prerequisites("kafka")

    assert run.failed
    assert 'may not get knativeeventings.operator.knative.dev "knative-eventing" in namespace "knative-eventing"' in run.result["msg"]
    assert statuses(run)["eventing_installed"] == "skipped"


def test_operator_not_installed(cluster, prerequisites):
    del cluster.objects[CSV]

    run = prerequisites("eventing")

    assert run.failed
    assert statuses(run) == {"rights": "passed", "operator": "failed", "eventing_installed": "passed"}
    assert ("[operator] The OpenShift Serverless operator is not installed: no ClusterServiceVersion serverless-operator.* "
            "in namespace openshift-serverless. Install it from OperatorHub (Subscription serverless-operator, channel "
            "stable), or set operator_namespace to the namespace it is installed in.") in run.result["msg"]


def test_other_operators_do_not_count(cluster, prerequisites):
    del cluster.objects[CSV]
    cluster.add(CSVS + "/amq-streams.v2.9.0", csv("amq-streams.v2.9.0"))

    run = prerequisites("eventing")

    assert statuses(run)["operator"] == "failed"


def test_operator_namespace_option(cluster, prerequisites):
    del cluster.objects[CSV]
    elsewhere = "/apis/operators.coreos.com/v1alpha1/namespaces/serverless/clusterserviceversions/serverless-operator.v1.37.1"
    cluster.add(elsewhere, csv("serverless-operator.v1.37.1"))

    run = prerequisites("eventing", operator_namespace="serverless")

    assert not run.failed, run.result.get("msg")
    assert run.result["operator"]["name"] == "serverless-operator.v1.37.1"
    assert cluster.requests[5].path == elsewhere.rsplit("/", 1)[0]


def test_operator_still_installing(cluster, prerequisites):
    cluster.objects[CSV] = csv(phase="Installing", message="waiting for install components to report healthy")

    run = prerequisites("eventing")

    assert run.failed
    assert ("The OpenShift Serverless operator is not ready: serverless-operator.v1.38.0 is in phase Installing (waiting "
            "for install components to report healthy) in namespace openshift-serverless. Wait for the installation to "
            "finish (phase Succeeded)") in run.result["msg"]


def test_an_upgrade_in_progress_passes_while_one_version_succeeded(cluster, prerequisites):
    cluster.add(CSVS + "/serverless-operator.v1.39.0", csv("serverless-operator.v1.39.0", phase="Installing"))

    run = prerequisites("eventing")

    assert not run.failed, run.result.get("msg")
    assert run.result["operator"]["name"] == "serverless-operator.v1.38.0"


def test_reading_csvs_refused(cluster, prerequisites):
    cluster.fail_next("GET", CSVS, 403, {"kind": "Status", "code": 403, "reason": "Forbidden", "message": "forbidden"})

    run = prerequisites("eventing")

    assert run.failed
    assert ('[operator] Could not check: the user may not list clusterserviceversions.operators.coreos.com in namespace '
            '"openshift-serverless" (403 Forbidden).') in run.result["msg"]


def upstream_crd(served: bool = True, established: str = "True") -> dict[str, t.Any]:
    return {"kind": "CustomResourceDefinition", "metadata": {"name": "knativeeventings.operator.knative.dev"},
            "spec": {"versions": [{"name": "v1beta1", "served": served}, {"name": "v1alpha1", "served": False}]},
            "status": {"conditions": [{"type": "Established", "status": established}]}}


def operator_deployment(available: str = "True") -> dict[str, t.Any]:
    return {"kind": "Deployment", "metadata": {"name": "knative-operator", "namespace": "knative-operator"},
            "spec": {"replicas": 1},
            "status": {"availableReplicas": 1 if available == "True" else 0,
                       "conditions": [{"type": "Available", "status": available,
                                       "message": "Deployment does not have minimum availability."}]}}


@pytest.fixture
def upstream(api_server):
    """A cluster without OLM: the upstream Knative operator runs as a Deployment."""
    api_server.serve(REVIEWS)
    api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing"))
    api_server.add(EVENTING_CRD, upstream_crd())
    api_server.add(OPERATOR_DEPLOYMENT, operator_deployment())
    return api_server


def test_without_olm_the_crd_and_the_operator_deployment_are_checked(upstream, prerequisites):
    run = prerequisites("eventing")

    assert not run.failed, run.result.get("msg")
    assert [r.path for r in upstream.requests[5:]] == [CSVS, EVENTING_CRD, OPERATOR_DEPLOYMENT, EVENTING]
    assert run.result["api_requests"] == 9
    assert run.result["operator"] == {"installed_by": "deployment", "name": "knative-operator", "namespace": "knative-operator"}
    assert "No OLM" in run.result["checks"][1]["message"]


def test_without_olm_nothing_installed(upstream, prerequisites):
    del upstream.objects[EVENTING_CRD], upstream.objects[OPERATOR_DEPLOYMENT], upstream.objects[EVENTING]

    run = prerequisites("eventing", knative_operator_namespace="operators")

    assert run.failed
    message = run.result["msg"]
    assert message.startswith("2 prerequisites of changing the high availability of Knative Eventing are not met. [operator] ")
    assert ("CustomResourceDefinition knativeeventings.operator.knative.dev does not exist, so the OpenShift Serverless "
            "operator (or the upstream Knative operator) is not installed") in message
    assert ("the Knative operator is not running: no Deployment knative-operator in namespace operators; install the "
            "operator, or set knative_operator_namespace") in message
    assert message.index("[operator]") < message.index("[eventing_installed]")


def test_without_olm_version_not_served_and_operator_unavailable(upstream, prerequisites):
    upstream.objects[EVENTING_CRD] = upstream_crd(served=False)
    upstream.objects[OPERATOR_DEPLOYMENT] = operator_deployment(available="False")

    run = prerequisites("eventing")

    assert run.failed
    assert "CustomResourceDefinition knativeeventings.operator.knative.dev serves no version, not v1beta1; upgrade" in run.result["msg"]
    assert ("Deployment knative-operator in namespace knative-operator is not available (0 of 1 replicas available: "
            "Deployment does not have minimum availability.)") in run.result["msg"]


def test_without_olm_crd_serving_an_older_version(upstream, prerequisites):
    upstream.objects[EVENTING_CRD]["spec"]["versions"] = [{"name": "v1alpha1", "served": True}, {"name": "v1beta1", "served": False}]

    run = prerequisites("eventing")

    assert ("CustomResourceDefinition knativeeventings.operator.knative.dev serves only v1alpha1, not v1beta1; upgrade the "
            "OpenShift Serverless operator (or the upstream Knative operator)") in run.result["msg"]


def test_without_olm_crd_not_established(upstream, prerequisites):
    upstream.objects[EVENTING_CRD] = upstream_crd(established="False")

    run = prerequisites("eventing")

    assert "is not Established yet" in run.result["msg"]


def test_without_olm_reading_the_crd_refused(upstream, prerequisites):
    upstream.fail_next("GET", EVENTING_CRD, 403, {"kind": "Status", "code": 403, "reason": "Forbidden", "message": "forbidden"})

    run = prerequisites("eventing")

    assert ('Could not check: the user may not get customresourcedefinitions.apiextensions.k8s.io '
            '"knativeeventings.operator.knative.dev" (cluster scope)') in run.result["msg"]


def test_eventing_not_installed(cluster, prerequisites):
    del cluster.objects[EVENTING]

    run = prerequisites("eventing")

    assert run.failed
    assert ("[eventing_installed] Knative Eventing is not installed: KnativeEventing knative-eventing not found in namespace "
            "knative-eventing. Install it first (create the KnativeEventing resource), or set name and namespace") in run.result["msg"]


def test_eventing_crd_not_served(api_server, prerequisites):
    api_server.serve(REVIEWS)
    api_server.add(CSV, csv())

    run = prerequisites("eventing")

    assert ("The OpenShift Serverless operator (or the upstream Knative operator) is not installed: the API does not serve "
            "knativeeventings.operator.knative.dev/v1beta1 (CustomResourceDefinition knativeeventings.operator.knative.dev "
            "is missing). Install the OpenShift Serverless operator (or the upstream Knative operator) first.") in run.result["msg"]


def test_name_and_namespace_options(cluster, prerequisites):
    other = "/apis/operator.knative.dev/v1beta1/namespaces/eventing/knativeeventings/main"
    cluster.add(other, knative_cr("KnativeEventing", "main", "eventing"))

    run = prerequisites("eventing", name="main", namespace="eventing")

    assert not run.failed, run.result.get("msg")
    assert reviewed(cluster)[0] == ("get", "operator.knative.dev", "knativeeventings", "eventing", "main")
    assert cluster.requests[-1].path == other


def test_eventing_change_not_yet_observed(cluster, prerequisites):
    cluster.objects[EVENTING] = knative_cr("KnativeEventing", "knative-eventing", "knative-eventing", generation=3, observed=2)

    run = prerequisites("eventing")

    assert run.failed
    assert ("Knative Eventing is installed but not Ready: the operator has not processed the change yet "
            "(status.observedGeneration 2, generation 3).") in run.result["msg"]


def test_eventing_not_ready(cluster, prerequisites):
    cluster.objects[EVENTING] = knative_cr("KnativeEventing", "knative-eventing", "knative-eventing", ready="False")

    run = prerequisites("eventing")

    assert run.failed
    assert ("not Ready: condition Ready is False (DeploymentsNotReady: waiting for eventing-controller). Wait for the "
            "operator to finish, and look at the status conditions of KnativeEventing knative-eventing in namespace "
            "knative-eventing.") in run.result["msg"]


def test_kafka_without_knative_kafka_nor_knative_eventing(cluster, prerequisites):
    del cluster.objects[EVENTING]
    cluster.serve(KAFKA)

    run = prerequisites("kafka")

    assert statuses(run) == {"rights": "passed", "operator": "passed", "kafka_installed": "failed",
                             "eventing_installed": "failed"}
    message = run.result["msg"]
    assert message.startswith("2 prerequisites of changing the high availability of the Knative broker for Apache Kafka are not met.")
    assert "[kafka_installed] The Knative broker for Apache Kafka is not installed: KnativeKafka knative-kafka not found" in message
    assert "[eventing_installed] Knative Eventing is not installed: KnativeEventing knative-eventing not found" in message


def test_kafka_does_not_need_to_be_ready(cluster, prerequisites):
    cluster.add(KAFKA, knative_cr("KnativeKafka", "knative-kafka", "knative-eventing", ready="False"))

    run = prerequisites("kafka")

    assert not run.failed, run.result.get("msg")


def test_every_failing_check_in_one_message(cluster, prerequisites):
    del cluster.objects[CSV]
    cluster.objects[EVENTING] = knative_cr("KnativeEventing", "knative-eventing", "knative-eventing", ready="False")

    run = prerequisites("eventing")

    assert run.result["msg"].startswith("2 prerequisites")
    assert run.result["msg"].index("[operator]") < run.result["msg"].index("[eventing_installed]")
    assert run.result["api_requests"] == 7


def test_check_mode_runs_the_same_reads(cluster, prerequisites):
    run = prerequisites("eventing", check_mode=True)

    assert not run.failed, run.result.get("msg")
    assert statuses(run) == {"rights": "passed", "operator": "passed", "eventing_installed": "passed"}
    assert [r.method for r in cluster.requests] == ["POST"] * 5 + ["GET"] * 2


def test_unauthorized_stops_at_the_first_review(cluster, prerequisites):
    cluster.token = "another-token"

    run = prerequisites("eventing")

    assert run.failed
    assert "rejected the credentials (401 Unauthorized) when trying to create selfsubjectaccessreviews" in run.result["msg"]
    assert len(cluster.requests) == 1


def test_server_error_while_reading_is_not_a_failed_check(cluster, prerequisites):
    cluster.fail_next("GET", EVENTING, 503, "overloaded")

    run = prerequisites("eventing")

    assert run.failed
    assert run.result["msg"].startswith("The API server")
    assert "(HTTP 503)" in run.result["msg"]
    assert statuses(run) == {"rights": "passed", "operator": "passed"}


def test_component_is_validated(cluster, prerequisites):
    run = prerequisites("knative")

    assert run.failed
    assert "value of component must be one of: eventing, kafka, serving" in run.result["msg"]
    assert cluster.requests == []

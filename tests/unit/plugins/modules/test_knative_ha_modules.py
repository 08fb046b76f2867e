# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HA modules against the fake API server: requests sent, results, messages."""

from __future__ import annotations

import json
import socket
import threading
import typing as t

import pytest
from fake_api import TOKEN

from ansible_collections.openshift_serverless.ha.plugins.modules import knative_eventing_ha, knative_kafka_ha, knative_serving_ha

EVENTING = "/apis/operator.knative.dev/v1beta1/namespaces/knative-eventing/knativeeventings/knative-eventing"
KAFKA = "/apis/operator.serverless.openshift.io/v1alpha1/namespaces/knative-eventing/knativekafkas/knative-kafka"
SERVING = "/apis/operator.knative.dev/v1beta1/namespaces/knative-serving/knativeservings/knative-serving"


def knative_cr(kind: str, name: str, namespace: str, replicas: int | None = 2, **spec: t.Any) -> dict[str, t.Any]:
    if replicas is not None:
        spec["high-availability"] = {"replicas": replicas}
    return {
        "apiVersion": "operator.knative.dev/v1beta1", "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": spec,
        "status": {"observedGeneration": 1, "conditions": [
            {"type": "DependenciesInstalled", "status": "True"}, {"type": "Ready", "status": "True"}]},
    }


@pytest.fixture
def eventing(api_server):
    return api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing"))


def test_noop_reads_once_and_writes_nothing(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2})

    assert run.result["changed"] is False
    assert run.result["previous_replicas"] == 2 and run.result["replicas"] == 2
    assert [r.method for r in api_server.requests] == ["GET"]
    assert run.result["api_requests"] == 1
    assert api_server.objects[EVENTING]["metadata"]["resourceVersion"] == eventing["metadata"]["resourceVersion"]


def test_change_sends_one_guarded_merge_patch(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.result["changed"] is True
    assert (run.result["previous_replicas"], run.result["replicas"]) == (2, 3)
    assert [r.method for r in api_server.requests] == ["GET", "PATCH"]
    patch = api_server.requests[1]
    assert patch.headers["content-type"] == ["application/merge-patch+json"]
    assert patch.body == {"metadata": {"resourceVersion": eventing["metadata"]["resourceVersion"]},
                          "spec": {"high-availability": {"replicas": 3}}}
    assert patch.query == {}
    stored = api_server.objects[EVENTING]
    assert stored["spec"]["high-availability"] == {"replicas": 3}
    assert stored["metadata"]["generation"] == 2
    assert run.result["resource"]["spec"]["high-availability"] == {"replicas": 3}


def test_sends_bearer_token_and_identifies_itself(api_server, eventing, kubeconfig, run_module):
    run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2})

    headers = api_server.requests[0].headers
    assert headers["authorization"] == ["Bearer %s" % TOKEN]
    assert headers["user-agent"][0].startswith("openshift_serverless.ha/")
    assert "knative_eventing_ha" in headers["user-agent"][0]


def test_sets_high_availability_when_absent(api_server, kubeconfig, run_module):
    api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing", replicas=None))

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2}, diff=True)

    assert run.result["changed"] is True and run.result["previous_replicas"] is None
    assert run.result["diff"] == {"before": {"high-availability": None}, "after": {"high-availability": {"replicas": 2}}}
    assert api_server.objects[EVENTING]["spec"]["high-availability"] == {"replicas": 2}


def test_check_mode_is_a_server_side_dry_run(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 4}, check_mode=True)

    assert run.result["changed"] is True
    assert [r.method for r in api_server.requests] == ["GET", "PATCH"]
    assert api_server.requests[1].query == {"dryRun": ["All"]}
    assert api_server.objects[EVENTING] == eventing
    assert run.result["resource"]["spec"]["high-availability"] == {"replicas": 4}


def test_check_mode_noop_only_reads(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2}, check_mode=True)

    assert run.result["changed"] is False
    assert [r.method for r in api_server.requests] == ["GET"]


def test_diff_shows_high_availability_before_and_after(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 5}, diff=True)

    assert run.result["diff"] == {"before": {"high-availability": {"replicas": 2}},
                                  "after": {"high-availability": {"replicas": 5}}}


def test_no_diff_unless_asked(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 5})

    assert "diff" not in run.result


def test_conflict_rereads_and_retries(api_server, eventing, kubeconfig, run_module):
    api_server.fail_next("PATCH", EVENTING, 409, {"kind": "Status", "code": 409, "reason": "Conflict",
                                                  "message": "the object has been modified", "details": {}})

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.result["changed"] is True
    assert [r.method for r in api_server.requests] == ["GET", "PATCH", "GET", "PATCH"]
    assert api_server.objects[EVENTING]["spec"]["high-availability"] == {"replicas": 3}


def test_concurrent_edit_is_not_overwritten(api_server, eventing, kubeconfig, run_module):
    """Someone else set the same value between our read and our write: we end as a no-op."""
    stale = dict(eventing)
    api_server.objects[EVENTING] = dict(stale, metadata=dict(stale["metadata"], resourceVersion="999"),
                                        spec={"high-availability": {"replicas": 3}})
    api_server.fail_next("GET", EVENTING, 200, stale)

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.result["changed"] is False
    assert [r.method for r in api_server.requests] == ["GET", "PATCH", "GET"]


def test_conflict_that_persists_fails_with_advice(api_server, eventing, kubeconfig, run_module):
    for _attempt in range(5):
        api_server.fail_next("PATCH", EVENTING, 409, {"kind": "Status", "code": 409, "reason": "Conflict",
                                                      "message": "the object has been modified", "details": {}})

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed and "Conflict" in run.result["msg"]
    assert api_server.objects[EVENTING] == eventing


@pytest.mark.parametrize("value, message", [
    (True, "whole number, got true"),
    (False, "whole number, got false"),
    (2.5, "whole number, got 2.5"),
    (3.0, "whole number, got 3.0"),
    ("three", "whole number, got 'three'"),
    ("2.0", "whole number, got '2.0'"),
    (None, "whole number, got null"),
    ([3], "whole number, got [3]"),
    (-1, "cannot be negative"),
    (2**31, "32 bits"),
])
def test_invalid_replicas_fail_before_any_request(api_server, eventing, kubeconfig, run_module, value, message):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": value})

    assert run.failed and run.exit_code == 1
    assert message in run.result["msg"]
    assert api_server.requests == []


def test_replicas_as_a_string_of_digits_is_accepted(api_server, eventing, kubeconfig, run_module):
    """ansible-playbook -e replicas=3 passes a string."""
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": "3"})

    assert run.result["changed"] is True and run.result["replicas"] == 3
    assert api_server.requests[1].body["spec"]["high-availability"]["replicas"] == 3


def test_missing_replicas_is_reported_by_ansible(api_server, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig})

    assert run.failed and "replicas" in run.result["msg"]
    assert api_server.requests == []


@pytest.mark.parametrize("replicas, warning", [(0, "stops every Knative Eventing"), (1, "without a standby")])
def test_eventing_warns_for_zero_and_one(api_server, eventing, kubeconfig, run_module, replicas, warning):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": replicas})

    assert run.result["changed"] is True
    assert any(warning in w for w in run.warnings)


def test_no_warning_for_two_or_more(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.warnings == []


def test_kafka_needs_at_least_one(api_server, kubeconfig, run_module):
    api_server.add(KAFKA, knative_cr("KnativeKafka", "knative-kafka", "knative-eventing", replicas=1))

    run = run_module(knative_kafka_ha.main, {"kubeconfig": kubeconfig, "replicas": 0})

    assert run.failed and "KnativeKafka needs at least 1 replica" in run.result["msg"]
    assert api_server.requests == []


def test_kafka_change(api_server, kubeconfig, run_module):
    api_server.add(KAFKA, knative_cr("KnativeKafka", "knative-kafka", "knative-eventing", replicas=1))

    run = run_module(knative_kafka_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.result["changed"] is True
    assert api_server.objects[KAFKA]["spec"]["high-availability"] == {"replicas": 3}
    assert [r.path for r in api_server.requests] == [KAFKA, KAFKA]


def test_serving_change(api_server, kubeconfig, run_module):
    api_server.add(SERVING, knative_cr("KnativeServing", "knative-serving", "knative-serving", replicas=2))

    run = run_module(knative_serving_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.result["changed"] is True
    assert api_server.objects[SERVING]["spec"]["high-availability"] == {"replicas": 3}


def test_workload_override_that_shadows_ha_is_reported(api_server, kubeconfig, run_module):
    api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing",
                                        workloads=[{"name": "eventing-controller", "replicas": 1},
                                                   {"name": "imc-dispatcher", "env": []}],
                                        deployments=[{"name": "mt-broker-controller", "replicas": 4}]))

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.result["shadowed_workloads"] == [
        {"field": "spec.workloads", "name": "eventing-controller", "replicas": 1},
        {"field": "spec.deployments", "name": "mt-broker-controller", "replicas": 4},
    ]
    assert sum("overrides high-availability" in w for w in run.warnings) == 2


def test_crd_not_served_means_operator_not_installed(api_server, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed
    assert "OpenShift Serverless operator" in run.result["msg"] and "not installed" in run.result["msg"]
    assert "knativeeventings.operator.knative.dev" in run.result["msg"]


def test_kafka_crd_not_served(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_kafka_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed
    assert "The OpenShift Serverless operator is not installed" in run.result["msg"]
    assert "knativekafkas.operator.serverless.openshift.io" in run.result["msg"]


def test_resource_type_missing_in_served_group(api_server, eventing, kubeconfig, run_module):
    """The group is served but not the plural: a Status 404 without details.name."""
    serving_path = SERVING
    api_server.fail_next("GET", serving_path, 404, {"kind": "Status", "code": 404, "reason": "NotFound",
                                                    "message": "the server could not find the requested resource",
                                                    "details": {}})

    run = run_module(knative_serving_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed and run.result["msg"].startswith("The OpenShift Serverless operator (or the upstream Knative operator) "
                                                       "is not installed: the API does not serve knativeservings")


def test_cr_not_found_means_eventing_not_installed(api_server, kubeconfig, run_module):
    api_server.serve(EVENTING)

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed
    assert run.result["msg"].startswith(
        "Knative Eventing is not installed: KnativeEventing knative-eventing not found in namespace knative-eventing.")


def test_wrong_name_is_named(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3, "name": "other"})

    assert run.failed and "KnativeEventing other not found in namespace knative-eventing" in run.result["msg"]


def test_unauthorized(api_server, eventing, kubeconfig, run_module):
    api_server.token = "another-token"

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed and "401 Unauthorized" in run.result["msg"] and "oc login" in run.result["msg"]
    assert TOKEN not in json.dumps(run.result)


def test_forbidden_get_names_verb_resource_namespace(api_server, eventing, kubeconfig, run_module):
    api_server.fail_next("GET", EVENTING, 403, {
        "kind": "Status", "code": 403, "reason": "Forbidden", "details": {"name": "knative-eventing"},
        "message": 'knativeeventings.operator.knative.dev "knative-eventing" is forbidden: User "dev" cannot get '
                   'resource "knativeeventings" in API group "operator.knative.dev" in the namespace "knative-eventing"'})

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed and run.result["status_code"] == 403
    assert ('may not get knativeeventings.operator.knative.dev "knative-eventing" in namespace "knative-eventing"'
            in run.result["msg"])
    assert "cluster-admin" in run.result["msg"] and "dedicated-admin" in run.result["msg"]


def test_forbidden_patch_leaves_cr_unchanged(api_server, eventing, kubeconfig, run_module):
    api_server.fail_next("PATCH", EVENTING, 403, {"kind": "Status", "code": 403, "reason": "Forbidden",
                                                  "message": "forbidden", "details": {}})

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed and "may not patch knativeeventings.operator.knative.dev" in run.result["msg"]
    assert api_server.objects[EVENTING] == eventing


def test_invalid_value_refused_by_server(api_server, eventing, kubeconfig, run_module):
    api_server.fail_next("PATCH", EVENTING, 422, {"kind": "Status", "code": 422, "reason": "Invalid", "details": {},
                                                  "message": "spec.high-availability.replicas: Invalid value: 0"})

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 0})

    assert run.failed and "refused to patch" in run.result["msg"] and "Invalid value: 0" in run.result["msg"]


def test_server_error(api_server, eventing, kubeconfig, run_module):
    api_server.fail_next("GET", EVENTING, 503, "service unavailable")

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3})

    assert run.failed and "HTTP 503" in run.result["msg"] and "try again later" in run.result["msg"]


def test_unreachable_server(tmp_path, run_module):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    run = run_module(knative_eventing_ha.main, {"host": "http://127.0.0.1:%d" % port, "api_key": "x" * 20, "replicas": 3})

    assert run.failed and run.result["msg"].startswith("Cannot connect to the API server http://127.0.0.1:%d" % port)
    assert "the 'host' option" in run.result["msg"]


def test_timeout_is_reported_not_hung(run_module):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    try:
        run = run_module(knative_eventing_ha.main, {
            "host": "http://127.0.0.1:%d" % silent.getsockname()[1], "api_key": "x" * 20, "replicas": 3,
            "request_timeout": 0.5})
    finally:
        for connection in accepted:
            connection.close()
        silent.close()

    assert run.failed and "did not answer within 0.5 seconds" in run.result["msg"]
    assert "request_timeout" in run.result["msg"]


def test_tls_failure_suggests_ca_cert(api_server, eventing, run_module):
    https_url = api_server.url.replace("http://", "https://")

    run = run_module(knative_eventing_ha.main, {"host": https_url, "api_key": "x" * 20, "replicas": 3})

    assert run.failed and "TLS connection" in run.result["msg"] and "ca_cert" in run.result["msg"]


def test_host_and_api_key_from_awx_credential_environment(api_server, eventing, run_module, monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", api_server.url)
    monkeypatch.setenv("K8S_AUTH_API_KEY", TOKEN)
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "false")
    api_server.token = TOKEN

    run = run_module(knative_eventing_ha.main, {"replicas": 2})

    assert run.result["changed"] is False and not run.failed
    assert TOKEN not in json.dumps(run.result)


def test_impersonation_sends_one_header_per_group(api_server, eventing, kubeconfig, run_module):
    run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2, "impersonate_user": "alice",
                                          "impersonate_groups": ["admins", "ops"]})

    headers = api_server.requests[0].headers
    assert headers["impersonate-user"] == ["alice"]
    assert headers["impersonate-group"] == ["admins", "ops"]


def test_dict_kubeconfig_secrets_never_in_output(api_server, eventing, run_module):
    secret = "s3cr3t-token-from-a-dict-kubeconfig"
    api_server.token = secret
    config = {"current-context": "c", "clusters": [{"name": "k", "cluster": {"server": api_server.url}}],
              "users": [{"name": "u", "user": {"token": secret}}],
              "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}]}

    run = run_module(knative_eventing_ha.main, {"kubeconfig": config, "replicas": 2})

    assert run.result["changed"] is False
    assert secret not in json.dumps(run.result)
    assert run.result["invocation"]["module_args"]["kubeconfig"]["users"][0]["user"]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_missing_kubeconfig_file(tmp_path, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": str(tmp_path / "absent"), "replicas": 3})

    assert run.failed and "kubeconfig file given in 'kubeconfig'" in run.result["msg"] and "does not exist" in run.result["msg"]


def test_kubeconfig_that_is_not_yaml(tmp_path, run_module):
    path = tmp_path / "kubeconfig"
    path.write_text("clusters: [unclosed\n")

    run = run_module(knative_eventing_ha.main, {"kubeconfig": str(path), "replicas": 3})

    assert run.failed and "is not valid YAML" in run.result["msg"]


def test_unknown_context_lists_the_known_ones(kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "context": "prod", "replicas": 3})

    assert run.failed and "The context 'prod' is not defined" in run.result["msg"] and "(defined: admin)" in run.result["msg"]


def test_no_configuration_at_all(tmp_path, run_module, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("KUBECONFIG", "K8S_AUTH_KUBECONFIG", "K8S_AUTH_HOST", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(variable, raising=False)

    run = run_module(knative_eventing_ha.main, {"replicas": 3})

    assert run.failed and "No connection to a cluster is configured" in run.result["msg"]


def test_wait_polls_until_observed_and_ready(api_server, eventing, kubeconfig, run_module):
    def operator() -> None:
        """Plays the operator: reports the new generation Ready after the third read."""
        import time
        while len(api_server.requests) < 4:
            time.sleep(0.01)
        stored = api_server.objects[EVENTING]
        stored["status"] = {"observedGeneration": stored["metadata"]["generation"],
                            "conditions": [{"type": "Ready", "status": "True"}]}

    threading.Thread(target=operator, daemon=True).start()
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3, "wait": True, "wait_sleep": 0})

    assert not run.failed and run.result["changed"] is True
    assert run.result["resource"]["status"]["observedGeneration"] == 2
    assert [r.method for r in api_server.requests][:2] == ["GET", "PATCH"]
    assert len(api_server.requests) >= 4


def test_wait_timeout_explains_the_state(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3, "wait": True,
                                                "wait_timeout": 1, "wait_sleep": 0})

    assert run.failed and run.result["changed"] is True
    assert "did not become Ready within 1 seconds" in run.result["msg"]
    assert "status.observedGeneration 1, generation 2" in run.result["msg"]


def test_wait_on_noop_that_is_already_ready_costs_nothing_more(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2, "wait": True})

    assert not run.failed and run.result["api_requests"] == 1


def test_wait_ignores_stale_ready_condition(api_server, kubeconfig, run_module):
    stale = knative_cr("KnativeEventing", "knative-eventing", "knative-eventing")
    stale["metadata"]["generation"] = 5
    stale["status"]["observedGeneration"] = 4
    api_server.add(EVENTING, stale)

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2, "wait": True,
                                                "wait_timeout": 1, "wait_sleep": 0})

    assert run.failed and "status.observedGeneration 4, generation 5" in run.result["msg"]


def test_ready_condition_matched_by_type_not_position(api_server, kubeconfig, run_module):
    cr = knative_cr("KnativeEventing", "knative-eventing", "knative-eventing")
    cr["status"]["conditions"] = [{"type": "Ready", "status": "False", "reason": "Installing", "message": "waiting"},
                                  {"type": "InstallSucceeded", "status": "True"}]
    api_server.add(EVENTING, cr)

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 2, "wait": True,
                                                "wait_timeout": 0, "wait_sleep": 0})

    assert run.failed and "condition Ready is False (Installing: waiting)" in run.result["msg"]


def test_workload_replicas_added_and_other_entries_kept(api_server, kubeconfig, run_module):
    api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing", replicas=3,
                                        workloads=[{"name": "mt-broker-filter", "env": [{"container": "filter"}]},
                                                   {"name": "imc-dispatcher", "labels": {"team": "a"}}]))

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3, "workload_replicas":
                                                {"mt-broker-ingress": 3, "mt-broker-filter": "2"}}, diff=True)

    assert run.result["changed"] is True
    assert api_server.requests[1].body["spec"] == {"workloads": [
        {"name": "mt-broker-filter", "env": [{"container": "filter"}], "replicas": 2},
        {"name": "imc-dispatcher", "labels": {"team": "a"}},
        {"name": "mt-broker-ingress", "replicas": 3}]}
    assert run.result["diff"] == {
        "before": {"high-availability": {"replicas": 3}, "workload_replicas": {"mt-broker-filter": None, "mt-broker-ingress": None}},
        "after": {"high-availability": {"replicas": 3}, "workload_replicas": {"mt-broker-filter": 2, "mt-broker-ingress": 3}},
    }
    assert run.result["shadowed_workloads"] == []


def test_workload_replicas_already_set_is_a_noop(api_server, kubeconfig, run_module):
    api_server.add(EVENTING, knative_cr("KnativeEventing", "knative-eventing", "knative-eventing", replicas=3,
                                        workloads=[{"name": "mt-broker-ingress", "replicas": 3}]))

    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3,
                                                "workload_replicas": {"mt-broker-ingress": 3}})

    assert run.result["changed"] is False and [r.method for r in api_server.requests] == ["GET"]


def test_ha_and_workloads_in_one_patch(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3,
                                                "workload_replicas": {"mt-broker-ingress": 2}})

    assert run.result["changed"] is True and run.result["api_requests"] == 2
    assert api_server.requests[1].body["spec"] == {"high-availability": {"replicas": 3},
                                                   "workloads": [{"name": "mt-broker-ingress", "replicas": 2}]}


def test_invalid_workload_replicas_names_the_entry(api_server, eventing, kubeconfig, run_module):
    run = run_module(knative_eventing_ha.main, {"kubeconfig": kubeconfig, "replicas": 3,
                                                "workload_replicas": {"mt-broker-ingress": "many"}})

    assert run.failed and run.result["msg"].startswith("workload_replicas[mt-broker-ingress]: replicas must be a whole number")
    assert api_server.requests == []

# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read, compare and set spec.high-availability.replicas on the Knative CRs.

Private to this collection: do not use from other collections.

A no-op costs one request (GET); a change two (GET + PATCH). The PATCH is a JSON merge
patch of spec.high-availability.replicas alone, guarded by the resourceVersion that was
read, so a concurrent edit ends in 409 and a fresh read instead of a lost update.
"""

from __future__ import annotations

import re
import time
import typing as t

from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import (
    ApiError,
    ApiUnreachable,
    Request,
    resource_path,
    resource_type_missing,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._module import KnativeModule

CONFLICT_ATTEMPTS = 5
INT32_MAX = 2**31 - 1


class HaTarget(t.NamedTuple):
    """One kind of Knative CR whose spec.high-availability the collection manages."""

    kind: str
    group: str
    version: str
    plural: str
    default_name: str
    default_namespace: str
    product: str
    minimum_replicas: int
    operator: str  # what provides the CRD, for "not installed" messages

    @property
    def resource(self) -> str:
        return "%s.%s" % (self.plural, self.group)

    def path(self, namespace: str, name: str) -> str:
        return resource_path(self.group, self.version, self.plural, namespace, name)


KNATIVE_EVENTING = HaTarget(
    "KnativeEventing", "operator.knative.dev", "v1beta1", "knativeeventings", "knative-eventing", "knative-eventing",
    "Knative Eventing", 0, "the OpenShift Serverless operator (or the upstream Knative operator)",
)
KNATIVE_SERVING = HaTarget(
    "KnativeServing", "operator.knative.dev", "v1beta1", "knativeservings", "knative-serving", "knative-serving",
    "Knative Serving", 0, "the OpenShift Serverless operator (or the upstream Knative operator)",
)
# The KnativeKafka schema and the OpenShift Serverless operator require at least 1.
KNATIVE_KAFKA = HaTarget(
    "KnativeKafka", "operator.serverless.openshift.io", "v1alpha1", "knativekafkas", "knative-kafka", "knative-eventing",
    "the Knative broker for Apache Kafka", 1, "the OpenShift Serverless operator",
)


def ha_argument_spec(target: HaTarget) -> dict[str, t.Any]:
    return {
        # raw: Ansible's int type would quietly accept true, 2.0 and "2.0".
        "replicas": {"type": "raw", "required": True},
        "name": {"type": "str", "default": target.default_name},
        "namespace": {"type": "str", "default": target.default_namespace},
        "workload_replicas": {"type": "dict"},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 300},
        "wait_sleep": {"type": "int", "default": 2},
    }


def parse_replicas(value: t.Any, target: HaTarget) -> int:
    """The requested replica count as an int, or ValueError with what is wrong."""
    if isinstance(value, bool) or value is None:
        raise ValueError("replicas must be a whole number, got %s." % ("null" if value is None else str(value).lower()))
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("replicas must be a whole number, got %r (%s)." % (value, type(value).__name__))
    if value < target.minimum_replicas:
        if target.minimum_replicas == 0:
            raise ValueError("replicas cannot be negative, got %d." % value)
        raise ValueError("%s needs at least %d replica (got %d): the %s control plane cannot run without one." % (
            target.kind, target.minimum_replicas, value, target.product))
    if value > INT32_MAX:
        raise ValueError("replicas must fit in 32 bits, got %d." % value)
    return value


def replica_warnings(replicas: int, target: HaTarget) -> list[str]:
    if replicas == 0:
        return ["replicas=0 stops every %s control-plane deployment that high availability scales: nothing will "
                "reconcile until it is raised again, even while the %s still reports Ready." % (target.product, target.kind)]
    if replicas == 1:
        return ["replicas=1 runs each %s controller without a standby: leader election still runs, but nobody takes "
                "over while the leader restarts. Use 2 or more for high availability." % target.product]
    return []


def find_condition(resource: dict[str, t.Any], condition_type: str) -> dict[str, t.Any] | None:
    """The status condition of that type (by type, never by position)."""
    for condition in (resource.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == condition_type:
            return condition
    return None


def readiness(resource: dict[str, t.Any], generation: int | None = None) -> tuple[bool, str]:
    """Whether the operator has processed generation (default: the current one) and reports Ready."""
    generation = generation if generation is not None else (resource.get("metadata") or {}).get("generation")
    observed = (resource.get("status") or {}).get("observedGeneration")
    if generation is not None and (observed is None or observed < generation):
        return False, "the operator has not processed the change yet (status.observedGeneration %s, generation %s)" % (
            observed, generation)
    ready = find_condition(resource, "Ready")
    if ready is None:
        return False, "the resource has no Ready condition yet"
    if ready.get("status") != "True":
        return False, "condition Ready is %s (%s: %s)" % (ready.get("status"), ready.get("reason"), ready.get("message"))
    return True, "Ready"


def not_installed_message(target: HaTarget, error: ApiError, name: str, namespace: str) -> str:
    """What a 404 for the CR means: its operator is missing (type not served) or the component is."""
    if resource_type_missing(error, name):
        return ("%s is not installed: the API does not serve %s/%s (CustomResourceDefinition %s is missing). Install %s "
                "first." % (capitalized(target.operator), target.resource, target.version, target.resource, target.operator))
    return ("%s is not installed: %s %s not found in namespace %s. Install it first (create the %s resource), or set "
            "name and namespace to the resource that exists." % (
                capitalized(target.product), target.kind, name, namespace, target.kind))


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def ha_replicas(resource: dict[str, t.Any]) -> int | None:
    high_availability = (resource.get("spec") or {}).get("high-availability")
    return high_availability.get("replicas") if isinstance(high_availability, dict) else None


def shadowing_workloads(resource: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Workload overrides that set replicas: they win over high-availability for that deployment."""
    spec = resource.get("spec") or {}
    found = []
    for field in ("workloads", "deployments"):
        for entry in spec.get(field) or []:
            if isinstance(entry, dict) and entry.get("replicas") is not None:
                found.append({"field": "spec.%s" % field, "name": entry.get("name"), "replicas": entry["replicas"]})
    return found


class HaReplicasModule:
    """Set spec.high-availability.replicas on one CR: the logic behind the *_ha modules."""

    def __init__(self, module: KnativeModule, target: HaTarget) -> None:
        self.module = module
        self.target = target
        self.name = module.params["name"]
        self.namespace = module.params["namespace"]
        self.path = target.path(self.namespace, self.name)
        self.result: dict[str, t.Any] = {"changed": False}

    def request(self, verb: str) -> Request:
        return Request(verb, self.target.resource, self.namespace, self.name)

    def fail(self, error: Exception, verb: str) -> t.NoReturn:
        if isinstance(error, ApiError) and error.status == 404:
            self.module.fail_json(msg=not_installed_message(self.target, error, self.name, self.namespace),
                                  api_requests=self.module.api.requests_made,
                                  status_code=404, **self.result)
        self.module.fail_api(error, self.request(verb), **self.result)

    def run(self) -> None:
        module = self.module
        try:
            desired = parse_replicas(module.params["replicas"], self.target)
        except ValueError as error:
            module.fail_json(msg=str(error), **self.result)
        workloads = {}
        for name, value in (module.params["workload_replicas"] or {}).items():
            try:
                workloads[name] = parse_replicas(value, self.target)
            except ValueError as error:
                module.fail_json(msg="workload_replicas[%s]: %s" % (name, error), **self.result)
        for warning in replica_warnings(desired, self.target):
            module.warn(warning)

        before, resource = self.apply(desired, workloads)
        self.result.update(previous_replicas=ha_replicas(before), replicas=desired, resource=resource)
        self.result["shadowed_workloads"] = [entry for entry in shadowing_workloads(resource) if entry["name"] not in workloads]
        for entry in self.result["shadowed_workloads"]:
            module.warn("%s sets replicas=%s for deployment %r, which overrides high-availability for it; remove "
                        "that entry's replicas to let high availability apply." % (entry["field"], entry["replicas"], entry["name"]))
        if module._diff:
            self.result["diff"] = {"before": _diff_view(before, workloads), "after": _diff_view(resource, workloads)}
        if module.params["wait"] and not module.check_mode:
            self.result["resource"] = self.wait_until_ready(resource)
        self.result["api_requests"] = module.api.requests_made
        module.exit_json(**self.result)

    def apply(self, desired: int, workloads: dict[str, int]) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        """Read, and patch what differs; retries when the CR changed between the two. Returns (before, after)."""
        api = self.module.api
        attempt = 0
        while True:
            attempt += 1
            try:
                current = api.get(self.path)
            except (ApiError, ApiUnreachable) as error:
                self.fail(error, "get")
            spec_patch: dict[str, t.Any] = {}
            if ha_replicas(current) != desired:
                spec_patch["high-availability"] = {"replicas": desired}
            current_workloads = (current.get("spec") or {}).get("workloads") or []
            wanted_workloads = with_workload_replicas(current_workloads, workloads)
            if wanted_workloads != current_workloads:
                # A merge patch replaces a list whole; the resourceVersion guard keeps others' entries safe.
                spec_patch["workloads"] = wanted_workloads
            if not spec_patch:
                return current, current
            patch = {"metadata": {"resourceVersion": current["metadata"]["resourceVersion"]}, "spec": spec_patch}
            try:
                updated = api.merge_patch(self.path, patch, dry_run=self.module.check_mode)
            except ApiError as error:
                if error.status == 409 and attempt < CONFLICT_ATTEMPTS:
                    continue
                self.fail(error, "patch")
            except ApiUnreachable as error:
                self.fail(error, "patch")
            self.result["changed"] = True
            return current, updated

    def wait_until_ready(self, resource: dict[str, t.Any]) -> dict[str, t.Any]:
        """Poll until the operator has observed the current generation and reports Ready."""
        module = self.module
        generation = (resource.get("metadata") or {}).get("generation")
        deadline = time.monotonic() + module.params["wait_timeout"]
        while True:
            ready, state = readiness(resource, generation)
            if ready:
                return resource
            if time.monotonic() >= deadline:
                module.fail_json(
                    msg="%s %s in namespace %s did not become Ready within %s seconds: %s. The replicas setting was "
                        "applied; check the operator's logs and 'oc describe %s %s -n %s'." % (
                            self.target.kind, self.name, self.namespace, module.params["wait_timeout"], state,
                            self.target.kind.lower(), self.name, self.namespace),
                    api_requests=module.api.requests_made, **dict(self.result, resource=resource))
            time.sleep(max(0.0, min(module.params["wait_sleep"], deadline - time.monotonic())))
            try:
                resource = module.api.get(self.path)
            except (ApiError, ApiUnreachable) as error:
                self.fail(error, "get")


def with_workload_replicas(workloads: list[t.Any], replicas: dict[str, int]) -> list[t.Any]:
    """spec.workloads with the replicas of the named entries set, adding entries that are missing."""
    updated = [dict(entry) if isinstance(entry, dict) else entry for entry in workloads]
    for name, count in replicas.items():
        entry = next((e for e in updated if isinstance(e, dict) and e.get("name") == name), None)
        if entry is None:
            updated.append({"name": name, "replicas": count})
        else:
            entry["replicas"] = count
    return updated


def _diff_view(resource: dict[str, t.Any], workloads: dict[str, int]) -> dict[str, t.Any]:
    """The part of the spec the module manages, for diff mode."""
    high_availability = ha_replicas(resource)
    view: dict[str, t.Any] = {"high-availability": None if high_availability is None else {"replicas": high_availability}}
    if workloads:
        current = {e.get("name"): e.get("replicas") for e in (resource.get("spec") or {}).get("workloads") or []
                   if isinstance(e, dict)}
        view["workload_replicas"] = {name: current.get(name) for name in sorted(workloads)}
    return view


def run_ha_module(module_name: str, target: HaTarget) -> None:
    module = KnativeModule(module_name, ha_argument_spec(target), supports_check_mode=True)
    HaReplicasModule(module, target).run()

# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What high availability achieved: replicas per deployment, HPAs, and who leads.

Private to this collection: do not use from other collections.

One GET of the component's resource and one LIST each of the Deployments, HPAs and
Leases of its namespace; a wait re-lists only the Deployments and HPAs per poll.
"""

from __future__ import annotations

import datetime
import time
import typing as t

from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import (
    ApiError,
    ApiUnreachable,
    Request,
    resource_path,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._ha_components import (
    COMPONENTS,
    HaComponent,
    Workload,
    selected_component,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._knative_ha import (
    capitalized,
    ha_replicas,
    not_installed_message,
    shadowing_workloads,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._module import KnativeModule

# (group, version, plural) of what the module lists.
DEPLOYMENTS = ("apps", "v1", "deployments")
HPAS = ("autoscaling", "v2", "horizontalpodautoscalers")
LEASES = ("coordination.k8s.io", "v1", "leases")


def info_argument_spec() -> dict[str, t.Any]:
    return {
        "component": {"type": "str", "required": True, "choices": sorted(COMPONENTS)},
        "name": {"type": "str"},
        "namespace": {"type": "str"},
        # raw, validated like the replicas of the HA modules: Ansible's int type takes true and 2.0.
        "wait_for_replicas": {"type": "raw"},
        "wait_timeout": {"type": "int", "default": 300},
        "wait_sleep": {"type": "int", "default": 2},
    }


def parse_timestamp(value: t.Any) -> datetime.datetime | None:
    """An RFC 3339 time of the API (MicroTime or Time) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def holder_deployment(pod: str) -> str:
    """A Deployment's pod is <deployment>-<replicaset hash>-<suffix>."""
    parts = pod.split("-")
    return "-".join(parts[:-2]) if len(parts) > 2 else pod


def lease_leader(lease: dict[str, t.Any], now: datetime.datetime) -> dict[str, t.Any]:
    """Who holds a leader-election Lease; holderIdentity is <pod name>_<uuid>."""
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity") or ""
    pod = holder.split("_", 1)[0] if holder else None
    renewed = parse_timestamp(spec.get("renewTime"))
    duration = spec.get("leaseDurationSeconds")
    expired = not pod or renewed is None or (
        isinstance(duration, int) and (now - renewed).total_seconds() > duration)
    name = (lease.get("metadata") or {}).get("name") or ""
    return {
        "name": name,
        "holder": holder or None,
        "pod": pod,
        # An unheld lease still names its component: <component>.<queue>.<NN>-of-<MM>.
        "deployment": holder_deployment(pod) if pod else name.split(".", 1)[0],
        "renew_time": spec.get("renewTime"),
        "lease_duration_seconds": duration,
        "expired": expired,
    }


def _by_name(listing: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    return {(item.get("metadata") or {}).get("name"): item for item in listing.get("items") or [] if isinstance(item, dict)}


def _hpa_summary(hpa: dict[str, t.Any] | None, name: str | None) -> dict[str, t.Any] | None:
    if not name:
        return None
    if hpa is None:
        return {"name": name, "present": False, "min_replicas": None, "max_replicas": None}
    spec = hpa.get("spec") or {}
    # minReplicas defaults to 1 when unset.
    return {"name": name, "present": True, "min_replicas": spec.get("minReplicas", 1), "max_replicas": spec.get("maxReplicas")}


def deployment_row(workload: Workload, deployment: dict[str, t.Any] | None, hpa: dict[str, t.Any] | None,
                   shadow: dict[str, t.Any] | None, leases: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    spec = (deployment or {}).get("spec") or {}
    status = (deployment or {}).get("status") or {}
    generation = ((deployment or {}).get("metadata") or {}).get("generation")
    leaders: dict[str, int] = {}
    for lease in leases:
        if lease["deployment"] == workload.deployment and not lease["expired"]:
            leaders[lease["pod"]] = leaders.get(lease["pod"], 0) + 1
    return {
        "name": workload.deployment,
        "present": deployment is not None,
        "scaled_by_ha": workload.scaled_by_ha,
        "desired": spec.get("replicas", 1) if deployment is not None else None,
        "ready": status.get("readyReplicas", 0) if deployment is not None else None,
        "available": status.get("availableReplicas", 0) if deployment is not None else None,
        "updated": status.get("updatedReplicas", 0) if deployment is not None else None,
        "rollout_observed": deployment is not None and (generation is None or status.get("observedGeneration", 0) >= generation),
        "hpa": _hpa_summary(hpa, workload.hpa),
        "shadowed_by": shadow,
        "leaders": [{"pod": pod, "leases": count} for pod, count in sorted(leaders.items())],
        "leases": sum(1 for lease in leases if lease["deployment"] == workload.deployment),
        "note": workload.unscaled_reason,
    }


def summarize(component: HaComponent, resource: dict[str, t.Any], deployments: dict[str, t.Any], hpas: dict[str, t.Any],
              leases: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """One row per deployment of the component that exists, or that HA scales and should exist."""
    shadows = {entry["name"]: entry for entry in shadowing_workloads(resource)}
    rows = []
    for workload in component.workloads:
        deployment = deployments.get(workload.deployment)
        if deployment is None and not (workload.scaled_by_ha and workload.always_installed):
            continue
        hpa = hpas.get(workload.hpa) if workload.hpa else None
        rows.append(deployment_row(workload, deployment, hpa, shadows.get(workload.deployment), leases))
    return rows


def lagging(rows: list[dict[str, t.Any]], replicas: int) -> list[str]:
    """What keeps the component from running `replicas` of each HA deployment; empty when nothing."""
    problems = []
    for row in rows:
        wanted = row["shadowed_by"]["replicas"] if row["shadowed_by"] else replicas
        hpa = row["hpa"]
        if hpa and hpa["present"]:
            if hpa["min_replicas"] < wanted:
                problems.append("%s: HPA %s has minReplicas %s, want %s or more" % (row["name"], hpa["name"], hpa["min_replicas"], wanted))
            continue
        if not row["scaled_by_ha"]:
            continue
        if not row["present"]:
            problems.append("%s: deployment not found" % row["name"])
        elif hpa:
            problems.append("%s: HPA %s not found" % (row["name"], hpa["name"]))
        elif row["desired"] != wanted:
            problems.append("%s: desired %s, want %s (the operator has not applied it yet)" % (row["name"], row["desired"], wanted))
        elif not row["rollout_observed"]:
            problems.append("%s: the deployment controller has not observed the change yet" % row["name"])
        elif row["ready"] != wanted:
            problems.append("%s: %s of %s ready" % (row["name"], row["ready"], wanted))
    return problems


def _cell(value: t.Any) -> str:
    return "-" if value is None else str(value)


def render_table(rows: list[dict[str, t.Any]]) -> list[str]:
    """A short text table, one line per deployment."""
    lines = [("DEPLOYMENT", "DESIRED", "READY", "AVAILABLE", "HPA MIN/MAX", "LEADER")]
    for row in rows:
        hpa = row["hpa"]
        hpa_cell = "%s/%s" % (_cell(hpa["min_replicas"]), _cell(hpa["max_replicas"])) if hpa and hpa["present"] else "-"
        if row["leaders"]:
            leader_cell = ", ".join("%s (%d/%d leases)" % (held["pod"], held["leases"], row["leases"]) for held in row["leaders"])
        else:
            leader_cell = "none" if row["leases"] else "-"
        name = row["name"]
        if not row["present"]:
            name += " (missing)"
        elif row["shadowed_by"]:
            name += " (%s replicas=%s)" % (row["shadowed_by"]["field"], row["shadowed_by"]["replicas"])
        elif not row["scaled_by_ha"]:
            name += " (not scaled by HA)"
        lines.append((name, _cell(row["desired"]), _cell(row["ready"]), _cell(row["available"]), hpa_cell, leader_cell))
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]


def notes(rows: list[dict[str, t.Any]]) -> list[str]:
    """One line per deployment that high availability leaves alone, and why."""
    lines = []
    for row in rows:
        if row["shadowed_by"]:
            lines.append("%s: %s sets replicas=%s for it, which overrides high availability." % (
                row["name"], row["shadowed_by"]["field"], row["shadowed_by"]["replicas"]))
        elif not row["scaled_by_ha"]:
            lines.append("%s: %s" % (row["name"], row["note"]))
    return lines


class HaStatus:
    """Read (and optionally wait for) the replicas of one component's HA deployments."""

    def __init__(self, module: KnativeModule) -> None:
        self.module = module
        self.api = module.api
        self.component, self.name, self.namespace = selected_component(module.params)
        self.target = self.component.target

    def read(self, path: str, request: Request) -> dict[str, t.Any]:
        try:
            return self.api.get(path)
        except ApiError as error:
            if error.status == 404 and request.name == self.name:
                self.module.fail_json(msg=not_installed_message(self.target, error, self.name, self.namespace),
                                      status_code=404, api_requests=self.api.requests_made)
            self.module.fail_api(error, request)
        except ApiUnreachable as error:
            self.module.fail_api(error, request)

    def list(self, kind: tuple[str, str, str]) -> dict[str, t.Any]:
        group, version, plural = kind
        return self.read(resource_path(group, version, plural, self.namespace), Request("list", "%s.%s" % (plural, group), self.namespace))

    def wanted_replicas(self) -> int | None:
        value = self.module.params["wait_for_replicas"]
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.module.fail_json(msg="wait_for_replicas must be a whole number, 0 or more, got %r." % (value,))
        return value

    def run(self) -> None:
        module = self.module
        wanted = self.wanted_replicas()
        resource = self.read(self.target.path(self.namespace, self.name), Request("get", self.target.resource, self.namespace, self.name))
        deployments, hpas = _by_name(self.list(DEPLOYMENTS)), _by_name(self.list(HPAS))
        if wanted is not None:
            deadline = time.monotonic() + module.params["wait_timeout"]
            while lagging(summarize(self.component, resource, deployments, hpas, []), wanted) and time.monotonic() < deadline:
                time.sleep(max(0.0, min(module.params["wait_sleep"], deadline - time.monotonic())))
                deployments, hpas = _by_name(self.list(DEPLOYMENTS)), _by_name(self.list(HPAS))
        now = datetime.datetime.now(datetime.timezone.utc)
        component_deployments = {workload.deployment for workload in self.component.workloads}
        leases = [lease_leader(lease, now) for lease in self.list(LEASES).get("items") or [] if isinstance(lease, dict)]
        leases = [lease for lease in leases if lease["deployment"] in component_deployments]
        rows = summarize(self.component, resource, deployments, hpas, leases)
        result = {
            "changed": False,
            "ha_replicas": ha_replicas(resource),
            "deployments": [row for row in rows if row["scaled_by_ha"]],
            "not_scaled": [row for row in rows if not row["scaled_by_ha"]],
            "leases": sorted(leases, key=lambda lease: lease["name"]),
            "table": render_table(rows),
            "notes": notes(rows),
            "api_requests": self.api.requests_made,
        }
        if wanted is not None:
            problems = lagging(rows, wanted)
            if problems:
                module.fail_json(msg="%s did not reach %d replica%s within %s seconds: %s. The table shows the current state; "
                                     "check the operator's logs and the events of namespace %s." % (
                                         capitalized(self.target.product), wanted,
                                         "" if wanted == 1 else "s", module.params["wait_timeout"], "; ".join(problems),
                                         self.namespace), **result)
        module.exit_json(**result)


def run_info_module(module_name: str) -> None:
    module = KnativeModule(module_name, info_argument_spec(), supports_check_mode=True)
    HaStatus(module).run()

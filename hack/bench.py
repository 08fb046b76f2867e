#!/usr/bin/env python
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: knative_eventing_ha next to kubernetes.core.k8s, side by side in one run.

Both modules set spec.high-availability.replicas of the KnativeEventing on the cluster of
KUBECONFIG, each run as Ansible runs a module (its own Python process with an arguments file).
Runs alternate between the two so that load on this shared machine hits both alike.
Reported per variant: median and fastest wall time, and the API requests of one run as the
API server's audit log saw them (local cluster only: HA_TEST_AUDIT_LOG).

kubernetes.core comes from the `ansible` package on PyPI, installed beside, never imported by
the collection. Its discovery cache (/tmp/k8srcp-*.json) is deleted before each "cold" run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
KUBE_CORE_PACKAGE = "ansible==12.3.0"  # ships kubernetes.core 6.x
CR = {"api_version": "operator.knative.dev/v1beta1", "kind": "KnativeEventing",
      "name": "knative-eventing", "namespace": "knative-eventing"}


def kubernetes_core_path() -> Path:
    target = Path(os.environ.get("VIRTUAL_ENV", sys.prefix)) / "bench-kubernetes-core"
    if not (target / "ansible_collections" / "kubernetes" / "core").is_dir():
        print(">> installing kubernetes.core (%s) into %s" % (KUBE_CORE_PACKAGE, target), flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--target", str(target), KUBE_CORE_PACKAGE], check=True)
    return target


def collections_path() -> Path:
    tree = Path(tempfile.gettempdir()) / ("openshift_serverless_ha_bench_%d" % os.getuid())
    link = tree / "ansible_collections" / "openshift_serverless" / "ha"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != ROOT:
        if link.is_symlink():
            link.unlink()
        link.symlink_to(ROOT)
    return tree


def our_arguments(replicas: int) -> dict:
    return {"replicas": replicas}


def kubernetes_core_arguments(replicas: int) -> dict:
    return dict(CR, state="patched", merge_type=["merge"], definition={"spec": {"high-availability": {"replicas": replicas}}})


class Variant:
    def __init__(self, label: str, arguments: Callable[[int], dict], module_file: Path, python_path: list[Path],
                 cold_cache: bool = False) -> None:
        self.label = label
        self.arguments = arguments
        self.module_file = module_file
        self.python_path = os.pathsep.join(str(p) for p in python_path)
        self.cold_cache = cold_cache
        self.times: dict[str, list[float]] = {"no-op": [], "change": []}
        self.requests: dict[str, list[str]] = {}

    def run(self, replicas: int, connection: dict) -> tuple[float, dict]:
        if self.cold_cache:
            for cache in glob.glob(os.path.join(tempfile.gettempdir(), "k8srcp-*.json")):
                os.remove(cache)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as args_file:
            json.dump({"ANSIBLE_MODULE_ARGS": dict(self.arguments(replicas), **connection)}, args_file)
        env = dict(os.environ, PYTHONPATH=self.python_path)
        start = time.perf_counter()
        process = subprocess.run([sys.executable, str(self.module_file), args_file.name], capture_output=True,
                                 text=True, env=env, check=False)
        elapsed = time.perf_counter() - start
        os.remove(args_file.name)
        try:
            result = json.loads(process.stdout)
        except ValueError:
            sys.exit("%s printed no result:\n%s\n%s" % (self.label, process.stdout, process.stderr))
        if result.get("failed"):
            sys.exit("%s failed: %s" % (self.label, result.get("msg")))
        return elapsed, result


def audit_events(log: Path, marker: str) -> list[str]:
    time.sleep(1.5)  # the audit log is written just after the response
    found = []
    with log.open("rb") as stream:
        for line in stream:
            if marker.encode() in line:
                event = json.loads(line)
                if event.get("stage") == "ResponseComplete":
                    found.append("%s %s" % (event["verb"], (event.get("objectRef") or {}).get("resource") or event["requestURI"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs of each variant per scenario (default 7)")
    options = parser.parse_args()
    if not os.environ.get("KUBECONFIG"):
        sys.exit("Set KUBECONFIG (make bench does, for the local cluster).")

    core = kubernetes_core_path()
    ours_path = collections_path()
    k8s_module = core / "ansible_collections" / "kubernetes" / "core" / "plugins" / "modules" / "k8s.py"
    variants = [
        Variant("openshift_serverless.ha.knative_eventing_ha", our_arguments,
                ROOT / "plugins" / "modules" / "knative_eventing_ha.py", [ours_path]),
        Variant("kubernetes.core.k8s (discovery cache warm)", kubernetes_core_arguments, k8s_module, [core]),
        Variant("kubernetes.core.k8s (discovery cache cold)", kubernetes_core_arguments, k8s_module, [core], cold_cache=True),
    ]
    connection = {"kubeconfig": os.environ["KUBECONFIG"]}
    if os.environ.get("HA_TEST_ADMIN_CONTEXT"):
        connection["context"] = os.environ["HA_TEST_ADMIN_CONTEXT"]
    audit_log = Path(os.environ["HA_TEST_AUDIT_LOG"]) if os.environ.get("HA_TEST_AUDIT_LOG") else None

    # Start from a known value, then alternate: each "change" run moves 2 <-> 3, each "no-op" repeats.
    variants[0].run(2, connection)
    current = 2
    for round_number in range(options.rounds):
        for variant in variants:
            elapsed, result = variant.run(current, connection)
            if result["changed"]:
                sys.exit("Someone else changed the KnativeEventing during the benchmark; run it alone.")
            variant.times["no-op"].append(elapsed)
            current = 5 - current
            elapsed, result = variant.run(current, connection)
            if not result["changed"]:
                sys.exit("Someone else changed the KnativeEventing during the benchmark; run it alone.")
            variant.times["change"].append(elapsed)
        print(">> round %d/%d done" % (round_number + 1, options.rounds), flush=True)

    if audit_log is not None:
        for variant in variants:
            for scenario in ("no-op", "change"):
                marker = "bench-%s" % uuid.uuid4().hex
                # ha-admin is the local cluster's admin (the only cluster with an audit log here).
                tagged = dict(connection, impersonate_user="ha-admin",
                              impersonate_groups=["system:masters", "system:authenticated", marker])
                if scenario == "change":
                    current = 5 - current
                variant.run(current, tagged)
                variant.requests[scenario] = audit_events(audit_log, marker)

    print()
    print("| module | scenario | median s | fastest s | API requests (audit log) |")
    print("| --- | --- | --- | --- | --- |")
    for variant in variants:
        for scenario in ("no-op", "change"):
            times = variant.times[scenario]
            requests = variant.requests.get(scenario)
            shown = "%d: %s" % (len(requests), ", ".join(requests)) if requests is not None else "n/a (no audit log)"
            print("| %s | %s | %.2f | %.2f | %s |" % (variant.label, scenario, statistics.median(times), min(times), shown))
    print("\n%d runs per module and scenario, interleaved; wall time of the module process (imports included)." % options.rounds)
    variants[0].run(2, connection)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from ha_cluster import ADMIN_CONTEXT, AUDIT_LOG, COLLECTIONS_PATH, KUBECONFIG, MODULES, AuditLog, Cluster, Cr, ModuleResult


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    return Cluster()


@pytest.fixture
def restore(cluster: Cluster) -> t.Iterator[t.Callable[[Cr], dict[str, t.Any]]]:
    """Remember the HA replicas and workload overrides of a CR and put them back after the test."""
    saved: list[tuple[Cr, dict[str, t.Any]]] = []

    def remember(cr: Cr) -> dict[str, t.Any]:
        resource = cluster.get(cr)
        saved.append((cr, resource.get("spec") or {}))
        return resource

    yield remember
    for cr, spec in saved:
        managed = {field: spec.get(field) for field in ("high-availability", "workloads")}
        current = cluster.get(cr).get("spec") or {}
        if any(current.get(field) != value for field, value in managed.items()):
            cluster.patch_spec(cr, managed)


@pytest.fixture
def run_module(tmp_path: Path) -> t.Callable[..., ModuleResult]:
    """Run a module file in its own Python process, with its arguments file, as Ansible does."""

    def run(module: str, check_mode: bool = False, diff: bool = False, context: str | None = ADMIN_CONTEXT,
            **args: t.Any) -> ModuleResult:
        args = dict(args, kubeconfig=KUBECONFIG, _ansible_check_mode=check_mode, _ansible_diff=diff)
        if context:
            args["context"] = context
        args_file = tmp_path / ("%s-args.json" % module)
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(COLLECTIONS_PATH), os.environ.get("PYTHONPATH")])))
        process = subprocess.run([sys.executable, str(MODULES / ("%s.py" % module)), str(args_file)],
                                 capture_output=True, text=True, env=env, timeout=600, check=False)
        try:
            result = json.loads(process.stdout)
        except ValueError:
            pytest.fail("%s printed no JSON result.\nstdout: %s\nstderr: %s" % (module, process.stdout, process.stderr))
        return ModuleResult(result, process.returncode)

    return run


@pytest.fixture(scope="session")
def audit_log() -> AuditLog:
    assert AUDIT_LOG is not None
    return AuditLog(AUDIT_LOG)

# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common import warnings
from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, str(Path(__file__).parent))
from fake_api import TOKEN, FakeApiServer  # noqa: E402


@pytest.fixture
def api_server() -> t.Iterator[FakeApiServer]:
    server = FakeApiServer().start()
    yield server
    server.stop()


@pytest.fixture
def kubeconfig(api_server: FakeApiServer, tmp_path: Path) -> str:
    """A kubeconfig file whose current context is an admin of the fake server."""
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "admin",
        "clusters": [{"name": "fake", "cluster": {"server": api_server.url}}],
        "users": [{"name": "admin", "user": {"token": TOKEN}}],
        "contexts": [{"name": "admin", "context": {"cluster": "fake", "user": "admin"}}],
    }))
    return str(path)


class ModuleRun(t.NamedTuple):
    result: dict[str, t.Any]
    exit_code: int

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))

    @property
    def warnings(self) -> list[str]:
        """Warning texts; ansible-core 2.19 returns them as structured summaries."""
        texts = []
        for warning in self.result.get("warnings") or []:
            if isinstance(warning, dict):
                event = warning.get("event") or {}
                warning = event.get("msg") or warning.get("msg") or json.dumps(warning)
            texts.append(warning)
        return texts


@pytest.fixture
def run_module(capsys: pytest.CaptureFixture[str]) -> t.Callable[..., ModuleRun]:
    """Run a module's main() with arguments (and _ansible_* flags) and return its JSON result."""

    def run(main: t.Callable[[], None], args: dict[str, t.Any], check_mode: bool = False, diff: bool = False) -> ModuleRun:
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        # Warnings are collected per process: start each in-process module run with none.
        warnings._global_warnings.clear()
        warnings._global_deprecations.clear()
        capsys.readouterr()
        with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
            main()
        output = capsys.readouterr().out
        return ModuleRun(json.loads(output), int(exit_info.value.code or 0))

    return run

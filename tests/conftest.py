# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared by the unit and integration tests: make the collection importable."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def collections_path() -> Path:
    """A folder holding ansible_collections/openshift_serverless/ha, this checkout, from any checkout."""
    root = Path(__file__).resolve().parents[1]
    if root.parent.name == "openshift_serverless" and root.parent.parent.name == "ansible_collections":
        return root.parent.parent.parent
    tree = Path(tempfile.gettempdir()) / ("openshift_serverless_ha_%d" % os.getuid())
    link = tree / "ansible_collections" / "openshift_serverless" / "ha"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != root:
        tmp = link.with_name("ha.%d" % os.getpid())
        tmp.symlink_to(root)
        os.replace(tmp, link)
    return tree


COLLECTIONS_PATH = collections_path()
sys.path.insert(0, str(COLLECTIONS_PATH))

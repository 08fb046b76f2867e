# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options and attributes shared by the modules that set spec.high-availability.replicas.
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the operator has processed the change (C(status.observedGeneration) reaches
        C(metadata.generation)) and the resource reports condition C(Ready=True).
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true). The module fails when the time runs out; the change stays applied.
    type: int
    default: 300
  wait_sleep:
    description:
      - Seconds between two reads while waiting.
    type: int
    default: 2
attributes:
  check_mode:
    support: full
    details: Check mode sends the change as a server-side dry run, so admission and validation answer exactly as for a real run.
  diff_mode:
    support: full
    details: The diff shows C(spec.high-availability) before and after.
  idempotent:
    support: full
    details: When the stored value already equals O(replicas), the module reads once and writes nothing.
"""

# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options and attributes shared by the modules that set spec.high-availability.replicas.
    DOCUMENTATION = r"""
options:
  workload_replicas:
    description:
      - Replicas for deployments that high availability does not scale, by deployment name, for
        example C(mt-broker-ingress) and C(mt-broker-filter) of Eventing, which the OpenShift
        Serverless documentation tells admins to scale by hand, or the Kafka receivers
        (C(kafka-broker-receiver), C(kafka-channel-receiver), C(kafka-sink-receiver)).
      - Written as C(replicas) of the C(spec.workloads) entry of that name, which is added when
        missing; other entries and their other fields are kept.
      - An entry for a deployment that high availability scales overrides O(replicas) for it.
    type: dict
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
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Check mode sends the change as a server-side dry run, so admission and validation answer exactly as for a real run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The diff shows C(spec.high-availability) and the replicas of the O(workload_replicas) entries before and after.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
    support: full
    details: When the stored value already equals O(replicas), the module reads once and writes nothing.
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: knative_ha_info
short_description: Show the replicas and leaders of the Knative high-availability deployments
version_added: 1.0.0
description:
  - For one component, reports each deployment that high availability scales - desired, ready
    and available replicas, the HorizontalPodAutoscaler that drives it (minimum and maximum),
    a C(spec.workloads) entry that overrides high availability for it - and which pod leads it,
    read from the leader-election Leases.
  - Also lists the component's deployments that high availability does not scale (for Knative
    Eventing C(mt-broker-ingress) and C(mt-broker-filter), which the documentation has admins
    scale by hand), so a report can say so.
  - Reads the component's resource once and lists the Deployments, HorizontalPodAutoscalers and
    Leases of its namespace once each - 4 requests. Each poll of O(wait_for_replicas) lists the
    Deployments and HorizontalPodAutoscalers again.
  - A Lease's C(holderIdentity) is C(<pod>_<uuid>); the pod name minus its last two C(-)
    segments is the deployment. A Lease not renewed within C(leaseDurationSeconds) has no leader.
author:
  - openshift_serverless.ha maintainers (@openshift-serverless-ha)
options:
  component:
    description:
      - The component to report on.
    type: str
    required: true
    choices: [eventing, kafka, serving]
  name:
    description:
      - Name of the component's resource.
      - Defaults to C(knative-eventing), C(knative-kafka) or C(knative-serving).
    type: str
  namespace:
    description:
      - Namespace of the component's resource and deployments.
      - Defaults to C(knative-eventing) for C(eventing) and C(kafka), C(knative-serving) for C(serving).
    type: str
  wait_for_replicas:
    description:
      - Wait until every deployment that high availability scales has this many desired and ready
        replicas, and every HorizontalPodAutoscaler it raises has C(minReplicas) of at least this
        many; then report. A deployment whose C(spec.workloads) entry sets C(replicas) is held to
        that number instead.
      - Fails after O(wait_timeout) seconds with what is still behind, and the table.
      - A whole number, 0 or more. Not set - report at once, without waiting.
    type: raw
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_replicas).
    type: int
    default: 300
  wait_sleep:
    description:
      - Seconds between two polls while waiting.
    type: int
    default: 2
extends_documentation_fragment:
  - openshift_serverless.ha.connection
  - openshift_serverless.ha.read_only
"""

EXAMPLES = r"""
- name: Show which Knative Eventing replica leads
  openshift_serverless.ha.knative_ha_info:
    component: eventing
  register: eventing_status

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ eventing_status.table }}"

- name: Wait until kafka-controller and kafka-webhook-eventing run 3 ready replicas
  openshift_serverless.ha.knative_ha_info:
    component: kafka
    wait_for_replicas: 3
    wait_timeout: 600
"""

RETURN = r"""
ha_replicas:
  description: The C(spec.high-availability.replicas) of the component's resource; null when not set.
  returned: success
  type: int
  sample: 3
deployments:
  description:
    - The deployments high availability scales. Optional ones (such as C(job-sink)) appear only when
      they exist; a missing one that is always installed appears with C(present=false).
    - C(desired), C(ready), C(available), C(updated) - replicas from the Deployment's spec and status.
    - C(rollout_observed) - whether the Deployment's status reflects its latest spec.
    - C(hpa) - for an autoscaled deployment, C(name), C(present), C(min_replicas), C(max_replicas).
    - C(shadowed_by) - the C(spec.workloads) or C(spec.deployments) entry whose C(replicas) overrides
      high availability for it (C(field), C(name), C(replicas)), else null.
    - C(leaders) - the pods holding unexpired leader-election Leases of this deployment, with how many
      Leases each holds; C(leases) - how many Leases belong to it.
  returned: success
  type: list
  elements: dict
  sample:
    - name: eventing-controller
      present: true
      scaled_by_ha: true
      desired: 3
      ready: 3
      available: 3
      updated: 3
      rollout_observed: true
      hpa: null
      shadowed_by: null
      leaders: [{"pod": "eventing-controller-6d8c9b7f4d-x2x9k", "leases": 12}]
      leases: 12
      note: null
not_scaled:
  description:
    - The component's deployments that high availability does not scale, with the same fields and a
      C(note) that says why and what to do instead.
  returned: success
  type: list
  elements: dict
  sample:
    - name: mt-broker-ingress
      present: true
      scaled_by_ha: false
      desired: 1
      ready: 1
      note: "high availability does not set its replicas; ..."
leases:
  description:
    - The leader-election Leases of the component's deployments - C(name), C(holder), C(pod),
      C(deployment), C(renew_time), C(lease_duration_seconds), C(expired).
  returned: success
  type: list
  elements: dict
  sample:
    - name: eventing-controller.knative.dev.eventing.pkg.reconciler.broker.reconciler.00-of-01
      holder: eventing-controller-6d8c9b7f4d-x2x9k_3c1a7b52-1f0e-4f5e-9a59-0f6f3c0f9d11
      pod: eventing-controller-6d8c9b7f4d-x2x9k
      deployment: eventing-controller
      renew_time: "2026-08-01T10:00:00.000000Z"
      lease_duration_seconds: 60
      expired: false
table:
  description: The deployments as a short text table, one line each, to print with M(ansible.builtin.debug).
  returned: success, and on a wait that timed out
  type: list
  elements: str
  sample:
    - "DEPLOYMENT           DESIRED  READY  AVAILABLE  HPA MIN/MAX  LEADER"
    - "eventing-controller  3        3      3          -            eventing-controller-6d8c9b7f4d-x2x9k (12/12 leases)"
notes:
  description:
    - One line per deployment that high availability leaves alone - not scaled by it, or overridden by a
      C(spec.workloads) entry - saying why and what to do instead.
  returned: success, and on a wait that timed out
  type: list
  elements: str
  sample:
    - "pingsource-mt-adapter: the PingSource controller scales it (0 while no PingSource exists)."
api_requests:
  description: How many requests the module sent to the API server.
  returned: whenever the module got as far as the API server, failures included
  type: int
  sample: 4
"""

from ansible_collections.openshift_serverless.ha.plugins.module_utils._ha_status import run_info_module


def main() -> None:
    run_info_module("knative_ha_info")


if __name__ == "__main__":
    main()

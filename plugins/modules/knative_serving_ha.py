#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: knative_serving_ha
short_description: Set the high-availability replicas of Knative Serving
version_added: 1.0.0
description:
  - Sets C(spec.high-availability.replicas) on the C(KnativeServing) resource
    (C(operator.knative.dev/v1beta1)). The operator then scales the leader-elected
    control-plane deployments (C(controller), C(autoscaler), C(autoscaler-hpa) and the
    networking controllers) and raises the minimum of the autoscaled ones (C(activator),
    C(webhook)).
  - Sends one GET when nothing changes and one GET plus one PATCH when it does. The PATCH
    touches C(spec.high-availability.replicas) (and with O(workload_replicas), C(spec.workloads))
    only, and is retried on a conflict.
author:
  - openshift_serverless.ha maintainers (@openshift-serverless-ha)
options:
  replicas:
    description:
      - Number of replicas of each Knative Serving control-plane deployment.
      - A whole number, 0 or more. V(0) stops the control plane (the module warns);
        V(1) leaves no standby (the module warns); V(2) or more is highly available.
      - A C(spec.workloads) entry that sets C(replicas) for a deployment overrides this
        value for that deployment; the module warns and returns such entries.
    type: raw
    required: true
  name:
    description:
      - Name of the C(KnativeServing) resource.
    type: str
    default: knative-serving
  namespace:
    description:
      - Namespace of the C(KnativeServing) resource.
    type: str
    default: knative-serving
extends_documentation_fragment:
  - openshift_serverless.ha.connection
  - openshift_serverless.ha.ha_replicas
"""

EXAMPLES = r"""
- name: Run three replicas of each Knative Serving controller
  openshift_serverless.ha.knative_serving_ha:
    replicas: 3

- name: Preview the change on a cluster reached through a bearer token
  openshift_serverless.ha.knative_serving_ha:
    host: https://api.cluster.example.com:6443
    api_key: "{{ openshift_token }}"
    replicas: 2
  check_mode: true
  diff: true

- name: Set and wait until the operator reports Ready
  openshift_serverless.ha.knative_serving_ha:
    kubeconfig: ~/.kube/config
    context: admin
    replicas: 3
    wait: true
    wait_timeout: 600
"""

RETURN = r"""
previous_replicas:
  description: The value of C(spec.high-availability.replicas) before the run; null when it was not set.
  returned: success
  type: int
  sample: 2
replicas:
  description: The value requested, now stored (in check mode, what would be stored).
  returned: success
  type: int
  sample: 3
resource:
  description: The C(KnativeServing) resource after the run (in check mode, as the server's dry run returned it).
  returned: success
  type: dict
shadowed_workloads:
  description: C(spec.workloads) or C(spec.deployments) entries whose C(replicas) override high availability for one deployment.
  returned: success
  type: list
  elements: dict
  sample: [{"field": "spec.workloads", "name": "controller", "replicas": 1}]
api_requests:
  description: How many requests the module sent to the API server.
  returned: whenever the module got as far as the API server, failures included
  type: int
  sample: 1
"""

from ansible_collections.openshift_serverless.ha.plugins.module_utils._knative_ha import KNATIVE_SERVING, run_ha_module


def main() -> None:
    run_ha_module("knative_serving_ha", KNATIVE_SERVING)


if __name__ == "__main__":
    main()

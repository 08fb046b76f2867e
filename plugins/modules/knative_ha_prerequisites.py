#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: knative_ha_prerequisites
short_description: Check the prerequisites of changing Knative high availability
version_added: 1.0.0
description:
  - Checks, with reads only, what the OpenShift Serverless documentation requires before an
    admin changes the high-availability replicas of a component, and reports every failing
    check in one message, rights first.
  - B(Rights) - one C(SelfSubjectAccessReview) per verb and resource the roles use - get and
    patch the component's resource; list Deployments, HorizontalPodAutoscalers and Leases in its
    namespace; for O(component=kafka) also get the C(KnativeEventing). A refusal names the
    permission and says that cluster-admin (or dedicated-admin) is required. When a right is
    missing, the other checks are skipped.
  - B(Operator installed) - on clusters with OLM, a C(serverless-operator.*)
    C(ClusterServiceVersion) with phase C(Succeeded) in O(operator_namespace). Without OLM
    (the ClusterServiceVersion API is not served), the CustomResourceDefinition of the
    component serves its version and the C(knative-operator) Deployment in
    O(knative_operator_namespace) is available.
  - B(Component installed) - for C(eventing) and C(serving), the resource exists, the
    operator has observed its latest generation and its C(Ready) condition is C(True); for
    C(kafka), the C(KnativeKafka) exists and so does the C(KnativeEventing) C(knative-eventing)
    in the same namespace.
  - Sends 7 requests for C(eventing) and C(serving), 9 for C(kafka) (2 more without OLM),
    5 or 6 when a right is missing.
author:
  - openshift_serverless.ha maintainers (@openshift-serverless-ha)
options:
  component:
    description:
      - The component whose high availability is about to change.
    type: str
    required: true
    choices: [eventing, kafka, serving]
  name:
    description:
      - Name of the component's resource.
      - Defaults to the name the product uses - C(knative-eventing), C(knative-kafka) or C(knative-serving).
    type: str
  namespace:
    description:
      - Namespace of the component's resource, where its deployments run.
      - Defaults to C(knative-eventing) for C(eventing) and C(kafka), C(knative-serving) for C(serving).
    type: str
  operator_namespace:
    description:
      - Namespace of the OpenShift Serverless operator's C(ClusterServiceVersion) on clusters with OLM.
    type: str
    default: openshift-serverless
  knative_operator_namespace:
    description:
      - Namespace of the upstream C(knative-operator) Deployment, checked on clusters without OLM.
    type: str
    default: knative-operator
extends_documentation_fragment:
  - openshift_serverless.ha.connection
  - openshift_serverless.ha.read_only
"""

EXAMPLES = r"""
- name: Check that Knative Eventing high availability can be changed
  openshift_serverless.ha.knative_ha_prerequisites:
    component: eventing

- name: Check the Knative broker for Apache Kafka with the credentials of an AWX credential (K8S_AUTH_* variables)
  openshift_serverless.ha.knative_ha_prerequisites:
    component: kafka
    operator_namespace: openshift-serverless

- name: Check an upstream Knative install (no OLM)
  openshift_serverless.ha.knative_ha_prerequisites:
    component: serving
    kubeconfig: ~/.kube/config
    context: admin
    knative_operator_namespace: operators
"""

RETURN = r"""
checks:
  description:
    - One entry per check, in the order run - C(rights), C(operator), C(<component>_installed)
      and for C(kafka) C(eventing_installed).
    - C(status) is C(passed), C(failed) or C(skipped) (after a missing right); C(message) says what
      was found and, for a failure, what to do.
  returned: always
  type: list
  elements: dict
  sample:
    - name: rights
      status: passed
      message: The user may read and patch the KnativeEventing and read its deployments, HPAs and leases.
    - name: operator
      status: passed
      message: ClusterServiceVersion serverless-operator.v1.38.0 in namespace openshift-serverless has phase Succeeded.
    - name: eventing_installed
      status: passed
      message: KnativeEventing knative-eventing in namespace knative-eventing is Ready.
operator:
  description:
    - How the operator is installed, when the operator check passed. C(installed_by) is C(olm) (with
      the ClusterServiceVersion C(name) and C(version)) or C(deployment) (upstream, without OLM).
  returned: always
  type: dict
  sample: {"installed_by": "olm", "name": "serverless-operator.v1.38.0", "namespace": "openshift-serverless", "version": "1.38.0"}
api_requests:
  description: How many requests the module sent to the API server.
  returned: whenever the module got as far as the API server, failures included
  type: int
  sample: 7
"""

from ansible_collections.openshift_serverless.ha.plugins.module_utils._prerequisites import run_prerequisites_module


def main() -> None:
    run_prerequisites_module("knative_ha_prerequisites")


if __name__ == "__main__":
    main()

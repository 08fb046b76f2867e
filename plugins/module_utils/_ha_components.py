# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What high availability scales, per component: the one place that knows it.

Private to this collection: do not use from other collections.

Sources:
- knative/operator v0.50.0 (Knative 1.23), pkg/reconciler/common/ha.go and hpa.go: with
  spec.high-availability.replicas set, every Deployment of the component gets
  spec.replicas = N, except pingsource-mt-adapter (haUnSupported) and the autoscaled ones
  (hasHorizontalPodOrCustomAutoscaler: webhook, activator, 3scale-kourier-gateway,
  eventing-webhook, mt-broker-ingress, mt-broker-filter, the kafka dispatchers); every
  HorizontalPodAutoscaler gets minReplicas raised to N (never lowered). A workload override
  (spec.workloads[] / spec.deployments[]) with replicas wins for that deployment.
- The Deployments and HPAs themselves: the operator's kodata manifests of Knative 1.23
  (knative-eventing/1.23.0, knative-serving/1.23.0, ingress/1.23), checked on the local
  cluster for Eventing and for Serving with Kourier.
- openshift-knative/serverless-operator: KnativeKafka HA scales kafka-controller and
  kafka-webhook-eventing only.
"""

from __future__ import annotations

import typing as t

from ansible_collections.openshift_serverless.ha.plugins.module_utils._knative_ha import (
    KNATIVE_EVENTING,
    KNATIVE_KAFKA,
    KNATIVE_SERVING,
    HaTarget,
)


class Workload(t.NamedTuple):
    """A Deployment of a component, and what high availability does with it."""

    deployment: str
    hpa: str | None = None  # its HorizontalPodAutoscaler: HA raises minReplicas instead of setting spec.replicas
    always_installed: bool = True  # False: only some releases or configurations install it
    unscaled_reason: str | None = None  # set when high availability does not scale this deployment

    @property
    def scaled_by_ha(self) -> bool:
        return self.unscaled_reason is None


class HaComponent(t.NamedTuple):
    name: str  # the value of the modules' component option
    target: HaTarget  # the CR that carries spec.high-availability
    workloads: tuple[Workload, ...]
    requires: HaTarget | None = None  # another CR that must exist in the same namespace


_BROKER_BY_HAND = ("high availability does not set its replicas; the upstream operator raises the minimum of its HPA "
                   "%s. The OpenShift Serverless documentation has admins scale it by hand (a spec.workloads entry).")
_DATA_PLANE = "high availability does not scale the data plane; set its replicas with a spec.workloads entry of the KnativeKafka."

EVENTING = HaComponent(
    name="eventing",
    target=KNATIVE_EVENTING,
    workloads=(
        Workload("eventing-controller"),
        Workload("eventing-webhook", hpa="eventing-webhook"),
        Workload("imc-controller"),
        Workload("imc-dispatcher"),
        Workload("mt-broker-controller"),
        Workload("job-sink", always_installed=False),  # Knative Eventing 1.14 and later
        Workload("mt-broker-ingress", hpa="broker-ingress-hpa", unscaled_reason=_BROKER_BY_HAND % "broker-ingress-hpa"),
        Workload("mt-broker-filter", hpa="broker-filter-hpa", unscaled_reason=_BROKER_BY_HAND % "broker-filter-hpa"),
        Workload("pingsource-mt-adapter", unscaled_reason="the PingSource controller scales it (0 while no PingSource exists)."),
    ),
)

KAFKA = HaComponent(
    name="kafka",
    target=KNATIVE_KAFKA,
    workloads=(
        Workload("kafka-controller"),
        Workload("kafka-webhook-eventing"),
        Workload("kafka-broker-receiver", always_installed=False, unscaled_reason=_DATA_PLANE),
        Workload("kafka-channel-receiver", always_installed=False, unscaled_reason=_DATA_PLANE),
        Workload("kafka-sink-receiver", always_installed=False, unscaled_reason=_DATA_PLANE),
    ),
    requires=KNATIVE_EVENTING,
)

SERVING = HaComponent(
    name="serving",
    target=KNATIVE_SERVING,
    workloads=(
        Workload("activator", hpa="activator"),
        Workload("autoscaler"),
        Workload("controller"),
        Workload("webhook", hpa="webhook"),
        Workload("autoscaler-hpa", always_installed=False),
        # The controllers of whichever networking layer is installed in the namespace; the
        # operator installs Kourier's gateway there too (checked on the local cluster).
        Workload("net-kourier-controller", always_installed=False),
        Workload("3scale-kourier-gateway", hpa="3scale-kourier-gateway", always_installed=False),
        Workload("net-istio-controller", always_installed=False),
        Workload("net-istio-webhook", always_installed=False),
        Workload("net-contour-controller", always_installed=False),
        Workload("net-gateway-api-controller", always_installed=False),
        Workload("net-gateway-api-webhook", always_installed=False),
    ),
)

COMPONENTS: dict[str, HaComponent] = {component.name: component for component in (EVENTING, KAFKA, SERVING)}


def selected_component(params: dict[str, t.Any]) -> tuple[HaComponent, str, str]:
    """The component a module's options name, with the name and namespace of its resource."""
    component = COMPONENTS[params["component"]]
    return (component, params["name"] or component.target.default_name,
            params["namespace"] or component.target.default_namespace)

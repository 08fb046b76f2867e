# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The prerequisites of changing high availability, checked before any write.

Private to this collection: do not use from other collections.

The OpenShift Serverless documentation lists them: cluster-admin (or dedicated-admin)
rights, the OpenShift Serverless operator installed, Knative Eventing installed (for Kafka
also the Knative broker for Apache Kafka). Every check is a read; all failures are
reported together, rights first.
"""

from __future__ import annotations

import typing as t

from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import (
    ApiError,
    ApiUnreachable,
    Request,
    resource_path,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._ha_components import COMPONENTS, HaComponent, selected_component
from ansible_collections.openshift_serverless.ha.plugins.module_utils._knative_ha import (
    HaTarget,
    capitalized,
    find_condition,
    not_installed_message,
    readiness,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._module import KnativeModule

REVIEWS_PATH = resource_path("authorization.k8s.io", "v1", "selfsubjectaccessreviews")
CSV_GROUP, CSV_VERSION, CSV_PLURAL = "operators.coreos.com", "v1alpha1", "clusterserviceversions"
SERVERLESS_CSV_PREFIX = "serverless-operator."
KNATIVE_OPERATOR_DEPLOYMENT = "knative-operator"
ADMIN_REQUIRED = ("Changing the high availability of %s requires cluster-admin (or dedicated-admin on ROSA and OpenShift "
                  "Dedicated): ask a cluster administrator to grant it, or run with such credentials (kubeconfig and "
                  "context, or K8S_AUTH_API_KEY).")

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class Permission(t.NamedTuple):
    verb: str
    group: str  # "" for the core API
    plural: str
    namespace: str
    name: str | None = None

    def request(self) -> Request:
        resource = "%s.%s" % (self.plural, self.group) if self.group else self.plural
        return Request(self.verb, resource, self.namespace, self.name)


def prerequisites_argument_spec() -> dict[str, t.Any]:
    return {
        "component": {"type": "str", "required": True, "choices": sorted(COMPONENTS)},
        "name": {"type": "str"},
        "namespace": {"type": "str"},
        "operator_namespace": {"type": "str", "default": "openshift-serverless"},
        "knative_operator_namespace": {"type": "str", "default": "knative-operator"},
    }


def required_permissions(component: HaComponent, namespace: str, name: str) -> list[Permission]:
    """Every verb and resource the roles use: read and patch the CR, read the workloads."""
    target = component.target
    permissions = [
        Permission("get", target.group, target.plural, namespace, name),
        Permission("patch", target.group, target.plural, namespace, name),
        Permission("list", "apps", "deployments", namespace),
        Permission("list", "autoscaling", "horizontalpodautoscalers", namespace),
        Permission("list", "coordination.k8s.io", "leases", namespace),
    ]
    if component.requires is not None:
        required = component.requires
        permissions.append(Permission("get", required.group, required.plural, namespace, required.default_name))
    return permissions


class PrerequisiteChecks:
    """Run the checks of one component and report them as a list of results."""

    def __init__(self, module: KnativeModule) -> None:
        self.module = module
        self.api = module.api
        self.component, self.name, self.namespace = selected_component(module.params)
        self.target = self.component.target
        self.checks: list[dict[str, str]] = []
        self.operator: dict[str, t.Any] = {}

    def record(self, check: str, status: str, message: str) -> None:
        self.checks.append({"name": check, "status": status, "message": message})

    def read(self, path: str, request: Request) -> dict[str, t.Any]:
        """GET that fails the module on errors no check can explain (network, 401, 5xx)."""
        try:
            return self.api.get(path)
        except ApiError as error:
            if error.status in (403, 404):
                raise
            self.module.fail_api(error, request, checks=self.checks)
        except ApiUnreachable as error:
            self.module.fail_api(error, request, checks=self.checks)

    def not_allowed(self, check: str, request: Request) -> None:
        self.record(check, FAILED, "Could not check: the user may not %s %s (403 Forbidden). %s" % (
            request.verb, request.describe(), ADMIN_REQUIRED % self.target.product))

    # (a) rights
    def check_rights(self) -> bool:
        refused = []
        for permission in required_permissions(self.component, self.namespace, self.name):
            if not self.allowed(permission):
                request = permission.request()
                refused.append("%s %s" % (request.verb, request.describe()))
        if refused:
            self.record("rights", FAILED, "The user may not %s. %s" % ("; nor ".join(refused), ADMIN_REQUIRED % self.target.product))
            return False
        self.record("rights", PASSED, "The user may read and patch the %s and read its deployments, HPAs and leases." % self.target.kind)
        return True

    def allowed(self, permission: Permission) -> bool:
        attributes = {"verb": permission.verb, "group": permission.group, "resource": permission.plural,
                      "namespace": permission.namespace}
        if permission.name:
            attributes["name"] = permission.name
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                  "spec": {"resourceAttributes": attributes}}
        try:
            answer = self.api.create(REVIEWS_PATH, review)
        except (ApiError, ApiUnreachable) as error:
            self.module.fail_api(error, Request("create", "selfsubjectaccessreviews.authorization.k8s.io"), checks=self.checks)
        return bool((answer.get("status") or {}).get("allowed"))

    # (b) operator installed
    def check_operator(self) -> None:
        namespace = self.module.params["operator_namespace"]
        request = Request("list", "%s.%s" % (CSV_PLURAL, CSV_GROUP), namespace)
        try:
            csvs = self.read(resource_path(CSV_GROUP, CSV_VERSION, CSV_PLURAL, namespace), request)
        except ApiError as error:
            if error.status == 404:  # listing never 404s for a served type: OLM is not installed
                self.check_upstream_operator()
            else:
                self.not_allowed("operator", request)
            return
        serverless = [csv for csv in csvs.get("items") or []
                      if str((csv.get("metadata") or {}).get("name", "")).startswith(SERVERLESS_CSV_PREFIX)]
        succeeded = [csv for csv in serverless if (csv.get("status") or {}).get("phase") == "Succeeded"]
        if succeeded:
            name = succeeded[0]["metadata"]["name"]
            self.operator = {"installed_by": "olm", "name": name, "namespace": namespace,
                             "version": (succeeded[0].get("spec") or {}).get("version")}
            self.record("operator", PASSED, "ClusterServiceVersion %s in namespace %s has phase Succeeded." % (name, namespace))
        elif serverless:
            states = ", ".join("%s is in phase %s%s" % (
                csv["metadata"]["name"], (csv.get("status") or {}).get("phase") or "(none yet)",
                " (%s)" % csv["status"]["message"] if (csv.get("status") or {}).get("message") else "") for csv in serverless)
            self.record("operator", FAILED, "The OpenShift Serverless operator is not ready: %s in namespace %s. Wait for the "
                        "installation to finish (phase Succeeded), or look at the InstallPlan and events in namespace %s."
                        % (states, namespace, namespace))
        else:
            self.record("operator", FAILED, "The OpenShift Serverless operator is not installed: no ClusterServiceVersion "
                        "%s* in namespace %s. Install it from OperatorHub (Subscription serverless-operator, channel stable), "
                        "or set operator_namespace to the namespace it is installed in." % (SERVERLESS_CSV_PREFIX, namespace))

    def check_upstream_operator(self) -> None:
        """Without OLM: the CRD of the component served, and the knative-operator Deployment available."""
        problems = []
        crd_name = self.target.resource
        crd_request = Request("get", "customresourcedefinitions.apiextensions.k8s.io", None, crd_name)
        try:
            crd = self.read(resource_path("apiextensions.k8s.io", "v1", "customresourcedefinitions", name=crd_name), crd_request)
            problems.extend(self.crd_problems(crd))
        except ApiError as error:
            if error.status == 403:
                return self.not_allowed("operator", crd_request)
            problems.append("CustomResourceDefinition %s does not exist, so %s is not installed; install it" % (
                crd_name, self.target.operator))
        namespace = self.module.params["knative_operator_namespace"]
        deployment_request = Request("get", "deployments.apps", namespace, KNATIVE_OPERATOR_DEPLOYMENT)
        try:
            deployment = self.read(resource_path("apps", "v1", "deployments", namespace, KNATIVE_OPERATOR_DEPLOYMENT),
                                   deployment_request)
            available = find_condition(deployment, "Available")
            if not available or available.get("status") != "True":
                status = deployment.get("status") or {}
                problems.append("Deployment %s in namespace %s is not available (%s of %s replicas available%s); check "
                                "its pods and events" % (
                                    KNATIVE_OPERATOR_DEPLOYMENT, namespace, status.get("availableReplicas", 0),
                                    (deployment.get("spec") or {}).get("replicas", 1),
                                    ": %s" % available.get("message") if available and available.get("message") else ""))
        except ApiError as error:
            if error.status == 403:
                return self.not_allowed("operator", deployment_request)
            problems.append("the Knative operator is not running: no Deployment %s in namespace %s; install the "
                            "operator, or set knative_operator_namespace to the namespace it runs in" % (
                                KNATIVE_OPERATOR_DEPLOYMENT, namespace))
        if problems:
            self.record("operator", FAILED, "No OLM on this cluster (ClusterServiceVersions are not served), and: %s."
                        % "; ".join(problems))
        else:
            self.operator = {"installed_by": "deployment", "name": KNATIVE_OPERATOR_DEPLOYMENT, "namespace": namespace}
            self.record("operator", PASSED, "No OLM; CustomResourceDefinition %s serves %s and Deployment %s in namespace "
                        "%s is available." % (crd_name, self.target.version, KNATIVE_OPERATOR_DEPLOYMENT, namespace))

    def crd_problems(self, crd: dict[str, t.Any]) -> list[str]:
        versions = [v for v in (crd.get("spec") or {}).get("versions") or [] if isinstance(v, dict)]
        served = [v.get("name") for v in versions if v.get("served")]
        if self.target.version not in served:
            serving = "serves only %s" % ", ".join(map(str, served)) if served else "serves no version"
            return ["CustomResourceDefinition %s %s, not %s; upgrade %s" % (
                self.target.resource, serving, self.target.version, self.target.operator)]
        established = find_condition(crd, "Established")
        if not established or established.get("status") != "True":
            return ["CustomResourceDefinition %s is not Established yet; wait a moment and run again" % self.target.resource]
        return []

    # (c) the component (and what it requires) installed
    def check_installed(self) -> None:
        check = "%s_installed" % self.component.name
        resource = self.read_cr(check, self.target, self.name)
        required = self.component.requires
        if resource is None:
            pass  # read_cr recorded why
        elif required is not None:  # Kafka: its resource must exist; the KnativeEventing is checked below
            self.record(check, PASSED, "%s %s exists in namespace %s." % (self.target.kind, self.name, self.namespace))
        else:
            ready, state = readiness(resource)
            if ready:
                self.record(check, PASSED, "%s %s in namespace %s is Ready." % (self.target.kind, self.name, self.namespace))
            else:
                self.record(check, FAILED, "%s is installed but not Ready: %s. Wait for the operator to finish, and look at "
                            "the status conditions of %s %s in namespace %s." % (
                                capitalized(self.target.product), state, self.target.kind, self.name, self.namespace))
        if required is not None:
            if self.read_cr("eventing_installed", required, required.default_name) is not None:
                self.record("eventing_installed", PASSED, "%s %s exists in namespace %s." % (
                    required.kind, required.default_name, self.namespace))

    def read_cr(self, check: str, target: HaTarget, name: str) -> dict[str, t.Any] | None:
        request = Request("get", target.resource, self.namespace, name)
        try:
            return self.read(target.path(self.namespace, name), request)
        except ApiError as error:
            if error.status == 403:
                self.not_allowed(check, request)
            else:
                self.record(check, FAILED, not_installed_message(target, error, name, self.namespace))
        return None

    def run(self) -> None:
        if self.check_rights():
            self.check_operator()
            self.check_installed()
        else:
            for check in ["operator", "%s_installed" % self.component.name] + (["eventing_installed"] if self.component.requires else []):
                self.record(check, SKIPPED, "Not checked: it needs the rights above.")
        failed = [check for check in self.checks if check["status"] == FAILED]
        result = {"changed": False, "checks": self.checks, "operator": self.operator, "api_requests": self.api.requests_made}
        if failed:
            self.module.fail_json(msg="%d prerequisite%s of changing the high availability of %s %s not met. %s" % (
                len(failed), "" if len(failed) == 1 else "s", self.target.product, "is" if len(failed) == 1 else "are",
                " ".join("[%s] %s" % (check["name"], check["message"]) for check in failed)), **result)
        self.module.exit_json(**result)


def run_prerequisites_module(module_name: str) -> None:
    module = KnativeModule(module_name, prerequisites_argument_spec(), supports_check_mode=True)
    PrerequisiteChecks(module).run()

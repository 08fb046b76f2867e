# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AnsibleModule every module of this collection is built on.

Private to this collection: do not use from other collections.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import (
    COLLECTION_VERSION,
    ApiError,
    ApiUnreachable,
    KubernetesApi,
    Request,
    explain,
    urllib3,
)
from ansible_collections.openshift_serverless.ha.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionSettingsError,
    kubeconfig_secrets,
    resolve_connection,
)


class KnativeModule(AnsibleModule):
    """AnsibleModule with the connection options and a connected API client."""

    def __init__(self, module_name: str, argument_spec: dict[str, t.Any], **kwargs: t.Any) -> None:
        self.module_name = module_name
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, **kwargs)
        # Again here: with a task-level no_log, AnsibleModule skips _log_invocation.
        self._mask_kubeconfig_secrets()
        self._api: KubernetesApi | None = None

    def _mask_kubeconfig_secrets(self) -> None:
        self.no_log_values.update(kubeconfig_secrets(self.params.get("kubeconfig")))

    def _log_invocation(self) -> None:
        # AnsibleModule logs its parameters to the system journal while it is still being
        # built; mask the tokens and keys of a dictionary kubeconfig before that.
        self._mask_kubeconfig_secrets()
        super()._log_invocation()

    @property
    def api(self) -> KubernetesApi:
        """The API client, connected on first use; fails the module with advice on errors."""
        if self._api is None:
            if urllib3 is None:
                self.fail_json(msg=missing_required_lib("kubernetes"))
            try:
                settings = resolve_connection(self.params)
                user_agent = "openshift_serverless.ha/%s (%s)" % (COLLECTION_VERSION, self.module_name)
                self._api = KubernetesApi(settings, self.params["request_timeout"], user_agent)
            except (ConnectionSettingsError, ApiUnreachable) as error:
                self.fail_json(msg=str(error))
        return self._api

    def fail_api(self, error: Exception, request: Request, **result: t.Any) -> t.NoReturn:
        """Fail with the admin-readable explanation of an API or network error."""
        if isinstance(error, ApiError):
            result.setdefault("status_code", error.status)
            message = explain(error, request, self.api.settings.server)
        else:
            message = str(error)
        result.setdefault("api_requests", self.api.requests_made)
        self.fail_json(msg=message, **result)

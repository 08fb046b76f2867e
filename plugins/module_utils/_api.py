# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small JSON client for the Kubernetes API, and admin-readable errors.

Private to this collection: do not use from other collections.

Requests go to known paths (no discovery), with a timeout, and are counted so tests and
benchmarks can prove how many a run made.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
import tempfile
import typing as t
from urllib.parse import urlencode, urlsplit

from ansible_collections.openshift_serverless.ha.plugins.module_utils._connection import ConnectionSettings

try:
    import urllib3
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # reported by the module through missing_required_lib
    urllib3 = None  # type: ignore[assignment]
    Urllib3Error = Exception  # type: ignore[assignment,misc]

COLLECTION_VERSION = "1.0.0"
MERGE_PATCH = "application/merge-patch+json"


def resource_path(group: str, version: str, plural: str, namespace: str | None = None, name: str | None = None) -> str:
    """The REST path of a resource; group "" is the core API."""
    path = "/api/%s" % version if not group else "/apis/%s/%s" % (group, version)
    if namespace:
        path += "/namespaces/%s" % namespace
    path += "/%s" % plural
    if name:
        path += "/%s" % name
    return path


class ApiUnreachable(Exception):
    """No HTTP answer came from the API server (network, TLS, timeout)."""


class ApiError(Exception):
    """The API server answered with an error status."""

    def __init__(self, status: int, body: t.Any) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.reason = self.body.get("reason") or ""
        self.details = self.body.get("details") or {}
        self.server_message = self.body.get("message") or (body if isinstance(body, str) else "")
        super().__init__("HTTP %s %s: %s" % (status, self.reason, self.server_message))


class Request(t.NamedTuple):
    """What a request was for, in the words an admin uses; feeds error messages."""

    verb: str  # Kubernetes RBAC verb: get, list, patch, create
    resource: str  # plural.group, e.g. knativeeventings.operator.knative.dev
    namespace: str | None = None
    name: str | None = None

    def describe(self) -> str:
        target = self.resource + (' "%s"' % self.name if self.name else "")
        return target + (' in namespace "%s"' % self.namespace if self.namespace else " (cluster scope)")


def explain(error: ApiError, request: Request, server: str) -> str:
    """An actionable message for an API error, without credentials."""
    said = (" The API server said: %s" % error.server_message) if error.server_message else ""
    if error.status == 401:
        return (
            "The API server %s rejected the credentials (401 Unauthorized) when trying to %s %s: the token or "
            "certificate is missing, invalid or expired. Log in again (oc login) or update the kubeconfig or "
            "K8S_AUTH_API_KEY." % (server, request.verb, request.describe())
        )
    if error.status == 403:
        return (
            "Permission denied: the user may not %s %s (403 Forbidden). Changing the high-availability settings of "
            "OpenShift Serverless requires cluster-admin (or dedicated-admin on ROSA and OpenShift Dedicated); ask an "
            "administrator to grant it or run with such credentials.%s" % (request.verb, request.describe(), said)
        )
    if error.status == 404:
        return "Not found: %s does not exist on %s.%s" % (request.describe(), server, said)
    if error.status == 409:
        return "Conflict while trying to %s %s: it kept changing under us.%s" % (request.verb, request.describe(), said)
    if error.status == 422:
        return "The API server refused to %s %s as invalid.%s" % (request.verb, request.describe(), said)
    if error.status == 429 or error.status >= 500:
        return "The API server %s failed to %s %s (HTTP %s); it is overloaded or unhealthy, try again later.%s" % (
            server, request.verb, request.describe(), error.status, said)
    return "The API server %s answered HTTP %s to %s %s.%s" % (server, error.status, request.verb, request.describe(), said)


def resource_type_missing(error: ApiError, name: str | None) -> bool:
    """Tell a 404 for an unknown resource type from a 404 for a missing object.

    For a missing object the Status names it in details.name; for a group/version or
    resource the server does not serve, details carry no name (or the body is plain text).
    """
    return error.status == 404 and error.details.get("name") != name


class KubernetesApi:
    """JSON over HTTPS to one API server."""

    def __init__(self, settings: ConnectionSettings, timeout: float, user_agent: str) -> None:
        self.settings = settings
        self.timeout = timeout
        self.user_agent = user_agent
        self.requests_made = 0
        self._pool = self._pool_manager()

    def _ssl_context(self) -> ssl.SSLContext:
        settings = self.settings
        context = ssl.create_default_context(cafile=settings.ca_file, cadata=settings.ca_data)
        if not settings.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        cert_file, key_file = settings.client_cert_file, settings.client_key_file
        if settings.client_cert_data or settings.client_key_data:
            # ssl only loads certificates from files: write them for the moment of loading.
            with tempfile.TemporaryDirectory(prefix="knative-ha-") as scratch:
                if settings.client_cert_data:
                    cert_file = _private_file(scratch, "client.crt", settings.client_cert_data)
                if settings.client_key_data:
                    key_file = _private_file(scratch, "client.key", settings.client_key_data)
                self._load_client_certificate(context, cert_file, key_file)
        elif cert_file:
            self._load_client_certificate(context, cert_file, key_file)
        return context

    @staticmethod
    def _load_client_certificate(context: ssl.SSLContext, cert_file: str | None, key_file: str | None) -> None:
        if not cert_file:
            raise ApiUnreachable("A client key is configured without a client certificate: set 'client_cert' too.")
        try:
            context.load_cert_chain(cert_file, key_file)
        except (ssl.SSLError, OSError) as error:
            raise ApiUnreachable("The client certificate or key cannot be loaded (%s): check that they are PEM files "
                                 "that belong together." % (getattr(error, "strerror", None) or error)) from error

    def _pool_manager(self) -> t.Any:
        settings = self.settings
        options: dict[str, t.Any] = {"maxsize": 1, "retries": False}
        if settings.server.startswith("https://"):
            try:
                options["ssl_context"] = self._ssl_context()
            except ssl.SSLError as error:
                raise ApiUnreachable("The CA certificate is not valid PEM: %s" % error) from error
            if not settings.verify:
                options.update(cert_reqs="CERT_NONE", assert_hostname=False)
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        if settings.proxy and not _bypasses_proxy(settings.server, settings.no_proxy):
            headers = urllib3.make_headers(
                proxy_basic_auth=settings.proxy_headers.get("proxy_basic_auth"),
                basic_auth=settings.proxy_headers.get("basic_auth"),
                user_agent=settings.proxy_headers.get("user_agent"),
            )
            return urllib3.ProxyManager(settings.proxy, proxy_headers=headers, **options)
        return urllib3.PoolManager(**options)

    def _headers(self, content_type: str | None) -> t.Any:
        settings = self.settings
        headers = urllib3.HTTPHeaderDict({"Accept": "application/json", "User-Agent": self.user_agent})
        if content_type:
            headers["Content-Type"] = content_type
        token = settings.bearer_token()
        if token:
            headers["Authorization"] = "Bearer %s" % token
        elif settings.username and settings.password:
            headers.update(urllib3.make_headers(basic_auth="%s:%s" % (settings.username, settings.password)))
        if settings.impersonate_user:
            headers["Impersonate-User"] = settings.impersonate_user
        for group in settings.impersonate_groups:
            headers.add("Impersonate-Group", group)  # one header per group, as the API expects
        return headers

    def request(self, method: str, path: str, body: t.Any = None, query: dict[str, str] | None = None,
                content_type: str | None = None) -> dict[str, t.Any]:
        url = self.settings.server + path + ("?" + urlencode(query) if query else "")
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        if payload is not None and content_type is None:
            content_type = "application/json"
        self.requests_made += 1
        try:
            response = self._pool.request(
                method, url, body=payload, headers=self._headers(content_type),
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout), redirect=False,
            )
        except Urllib3Error as error:
            raise ApiUnreachable(_network_failure(error, self.settings, self.timeout)) from error
        text = response.data.decode("utf-8", "replace")
        try:
            content = json.loads(text) if text else {}
        except ValueError:
            content = text.strip()
        if response.status >= 400:
            raise ApiError(response.status, content)
        if not isinstance(content, dict):
            raise ApiUnreachable("%s answered %s %s with something that is not a Kubernetes API object; is this the "
                                 "API server URL?" % (self.settings.server, method, path))
        return content

    def get(self, path: str) -> dict[str, t.Any]:
        return self.request("GET", path)

    def merge_patch(self, path: str, patch: dict[str, t.Any], dry_run: bool = False) -> dict[str, t.Any]:
        return self.request("PATCH", path, patch, {"dryRun": "All"} if dry_run else None, MERGE_PATCH)

    def create(self, path: str, body: dict[str, t.Any]) -> dict[str, t.Any]:
        return self.request("POST", path, body)


def _private_file(directory: str, name: str, content: bytes) -> str:
    path = os.path.join(directory, name)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(content)
    return path


def _bypasses_proxy(server: str, no_proxy: str | None) -> bool:
    host = urlsplit(server).hostname or ""
    for entry in (no_proxy or "").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*" or host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _network_failure(error: Exception, settings: ConnectionSettings, timeout: float) -> str:
    cause = getattr(error, "reason", None) or error
    name = type(cause).__name__
    if "Timeout" in name:
        return ("The API server %s did not answer within %s seconds (from %s). Check that the address is right and "
                "reachable from this host, or raise 'request_timeout'." % (settings.server, timeout, settings.source))
    if "SSL" in name or isinstance(cause, ssl.SSLError):
        return ("The TLS connection to %s failed: %s. If the cluster uses a private CA, give it with 'ca_cert' "
                "(K8S_AUTH_SSL_CA_CERT) or in the kubeconfig; set validate_certs=false only for a test cluster."
                % (settings.server, cause))
    if "ProxyError" in name:
        return "The proxy %s refused or failed the connection to %s: %s" % (settings.proxy, settings.server, cause)
    return ("Cannot connect to the API server %s (from %s): %s. Check the address, that the cluster is up, and the "
            "network or proxy between." % (settings.server, settings.source, cause))

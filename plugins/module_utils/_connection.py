# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options and their resolution into the settings of one API server.

Private to this collection: do not use from other collections.

The common kubeconfig forms (token, token file, client certificate, basic auth),
in-cluster service accounts and explicit ``host``/``api_key`` are resolved here without
importing the kubernetes client, which costs about half a second per module run. Only
kubeconfig users that authenticate through an ``exec`` or ``auth-provider`` plugin are
handed to ``kubernetes.config``, which knows how to run and refresh those plugins.
"""

from __future__ import annotations

import base64
import os
import typing as t

from ansible.module_utils.basic import env_fallback

CONNECTION_ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    # no_log stays off: a path is no secret and would be masked everywhere in the output.
    # The secrets of a dictionary kubeconfig are masked by kubeconfig_secrets() instead.
    "kubeconfig": {"type": "raw", "no_log": False, "fallback": (env_fallback, ["K8S_AUTH_KUBECONFIG"])},
    "context": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_CONTEXT"])},
    "host": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_HOST"])},
    "api_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["K8S_AUTH_API_KEY"])},
    "username": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_USERNAME"])},
    "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["K8S_AUTH_PASSWORD"])},
    "validate_certs": {"type": "bool", "aliases": ["verify_ssl"], "fallback": (env_fallback, ["K8S_AUTH_VERIFY_SSL"])},
    "ca_cert": {"type": "path", "aliases": ["ssl_ca_cert"], "fallback": (env_fallback, ["K8S_AUTH_SSL_CA_CERT"])},
    "client_cert": {"type": "path", "aliases": ["cert_file"], "fallback": (env_fallback, ["K8S_AUTH_CERT_FILE"])},
    "client_key": {"type": "path", "aliases": ["key_file"], "no_log": False, "fallback": (env_fallback, ["K8S_AUTH_KEY_FILE"])},
    "proxy": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_PROXY"])},
    "no_proxy": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_NO_PROXY"])},
    "proxy_headers": {
        "type": "dict",
        "options": {
            "proxy_basic_auth": {"type": "str", "no_log": True, "fallback": (env_fallback, ["K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH"])},
            "basic_auth": {"type": "str", "no_log": True, "fallback": (env_fallback, ["K8S_AUTH_PROXY_HEADERS_BASIC_AUTH"])},
            "user_agent": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_PROXY_HEADERS_USER_AGENT"])},
        },
    },
    "persist_config": {"type": "bool", "fallback": (env_fallback, ["K8S_AUTH_PERSIST_CONFIG"])},
    "impersonate_user": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_IMPERSONATE_USER"])},
    "impersonate_groups": {"type": "list", "elements": "str", "fallback": (env_fallback, ["K8S_AUTH_IMPERSONATE_GROUPS"])},
    "request_timeout": {"type": "float", "default": 30},
}

IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

# kubeconfig user fields whose values are credentials.
_SECRET_USER_FIELDS = ("token", "password", "client-key-data", "client-certificate-data")


class ConnectionSettingsError(Exception):
    """The connection options or the kubeconfig cannot be turned into settings."""


class ConnectionSettings:
    """Everything needed to talk to one API server; built by resolve_connection()."""

    def __init__(self, server: str, source: str) -> None:
        self.server = server.rstrip("/")
        self.source = source  # where the settings came from, for error messages
        self.token: str | None = None
        self.token_provider: t.Callable[[], str] | None = None  # exec/auth-provider users
        self.username: str | None = None
        self.password: str | None = None
        self.verify = True
        self.ca_file: str | None = None
        self.ca_data: str | None = None  # PEM text
        self.client_cert_file: str | None = None
        self.client_key_file: str | None = None
        self.client_cert_data: bytes | None = None  # PEM bytes
        self.client_key_data: bytes | None = None
        self.proxy: str | None = None
        self.no_proxy: str | None = None
        self.proxy_headers: dict[str, str | None] = {}
        self.impersonate_user: str | None = None
        self.impersonate_groups: list[str] = []

    def bearer_token(self) -> str | None:
        if self.token_provider is not None:
            return self.token_provider()
        return self.token


def kubeconfig_secrets(kubeconfig: t.Any) -> set[str]:
    """The credential values of a dictionary kubeconfig, to be masked in all output."""
    secrets: set[str] = set()
    if not isinstance(kubeconfig, dict):
        return secrets
    for entry in kubeconfig.get("users") or []:
        user = (entry or {}).get("user") if isinstance(entry, dict) else None
        if not isinstance(user, dict):
            continue
        secrets.update(str(user[field]) for field in _SECRET_USER_FIELDS if user.get(field))
        provider_config = (user.get("auth-provider") or {}).get("config") or {}
        secrets.update(str(value) for value in provider_config.values() if value)
        for variable in (user.get("exec") or {}).get("env") or []:
            if isinstance(variable, dict) and variable.get("value"):
                secrets.add(str(variable["value"]))
    return {secret for secret in secrets if len(secret) > 3}


def resolve_connection(params: dict[str, t.Any]) -> ConnectionSettings:
    """Turn the module's connection options into ConnectionSettings.

    Order, as in kubernetes.core: an explicit kubeconfig or context; else an explicit
    host; else the in-cluster service account when running in a pod; else the default
    kubeconfig. Explicit options always override what the kubeconfig says.
    """
    if params.get("kubeconfig") or params.get("context"):
        settings = _from_kubeconfig(params)
    elif params.get("host"):
        settings = ConnectionSettings(params["host"], "the 'host' option (K8S_AUTH_HOST)")
    elif os.environ.get("KUBERNETES_SERVICE_HOST") and os.path.exists(IN_CLUSTER_TOKEN):
        settings = _in_cluster()
    else:
        settings = _from_kubeconfig(params)
    _apply_explicit_options(settings, params)
    if not settings.server.startswith(("https://", "http://")):
        raise ConnectionSettingsError(
            "The API server address %r from %s is not a URL: use the form https://api.example.com:6443." % (settings.server, settings.source)
        )
    return settings


def _apply_explicit_options(settings: ConnectionSettings, params: dict[str, t.Any]) -> None:
    if params.get("host"):
        settings.server = params["host"].rstrip("/")
    if params.get("api_key"):
        settings.token, settings.token_provider = params["api_key"], None
    if params.get("username"):
        settings.username = params["username"]
    if params.get("password"):
        settings.password = params["password"]
    if params.get("validate_certs") is not None:
        settings.verify = params["validate_certs"]
    if params.get("ca_cert"):
        settings.ca_file, settings.ca_data = _existing_file(params["ca_cert"], "ca_cert"), None
    if params.get("client_cert"):
        settings.client_cert_file, settings.client_cert_data = _existing_file(params["client_cert"], "client_cert"), None
    if params.get("client_key"):
        settings.client_key_file, settings.client_key_data = _existing_file(params["client_key"], "client_key"), None
    if params.get("proxy"):
        settings.proxy = params["proxy"]
    if params.get("no_proxy"):
        settings.no_proxy = params["no_proxy"]
    settings.proxy_headers = dict(params.get("proxy_headers") or {})
    if params.get("impersonate_user"):
        settings.impersonate_user = params["impersonate_user"]
    if params.get("impersonate_groups"):
        settings.impersonate_groups = list(params["impersonate_groups"])


def _existing_file(path: str, option: str) -> str:
    if not os.path.isfile(path):
        raise ConnectionSettingsError("The file given in '%s' does not exist: %s" % (option, path))
    return path


def _in_cluster() -> ConnectionSettings:
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:  # IPv6 service address
        host = "[%s]" % host
    settings = ConnectionSettings("https://%s:%s" % (host, port), "the in-cluster service account")
    with open(IN_CLUSTER_TOKEN, encoding="utf-8") as token_file:
        settings.token = token_file.read().strip()
    if os.path.exists(IN_CLUSTER_CA):
        settings.ca_file = IN_CLUSTER_CA
    return settings


def _load_yaml_file(path: str) -> dict[str, t.Any]:
    import yaml  # imported here: the in-cluster and host paths never need it

    try:
        with open(path, encoding="utf-8") as stream:
            content = yaml.safe_load(stream)
    except OSError as error:
        raise ConnectionSettingsError("Cannot read the kubeconfig %s: %s" % (path, error.strerror)) from error
    except yaml.YAMLError as error:
        raise ConnectionSettingsError("The kubeconfig %s is not valid YAML: %s" % (path, error)) from error
    if not isinstance(content, dict):
        raise ConnectionSettingsError("The kubeconfig %s does not hold a kubeconfig (a YAML mapping with clusters, users and contexts)." % path)
    return content


def _kubeconfig_paths(params: dict[str, t.Any]) -> tuple[list[str], str]:
    """The files to merge, and how to name them in messages."""
    if isinstance(params.get("kubeconfig"), str):
        path = os.path.expanduser(params["kubeconfig"])
        if not os.path.isfile(path):
            raise ConnectionSettingsError(
                "The kubeconfig file given in 'kubeconfig' (or K8S_AUTH_KUBECONFIG) does not exist: %s" % path
            )
        return [path], "kubeconfig %s" % path
    if os.environ.get("KUBECONFIG"):
        paths = [os.path.expanduser(p) for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
        existing = [p for p in paths if os.path.isfile(p)]
        if not existing:
            raise ConnectionSettingsError("None of the files in the KUBECONFIG environment variable exists: %s" % ", ".join(paths))
        return existing, "kubeconfig %s" % os.pathsep.join(existing)
    default = os.path.expanduser("~/.kube/config")
    if not os.path.isfile(default):
        raise ConnectionSettingsError(
            "No connection to a cluster is configured: no kubeconfig at %s, no KUBECONFIG or K8S_AUTH_KUBECONFIG, "
            "and no 'host'/'api_key' (K8S_AUTH_HOST/K8S_AUTH_API_KEY). Log in with 'oc login' or set one of these." % default
        )
    return [default], "kubeconfig %s" % default


def _merged_kubeconfig(paths: list[str]) -> dict[str, t.Any]:
    """Merge files the way kubectl does: the first file to define a name wins."""
    merged: dict[str, t.Any] = {"clusters": [], "users": [], "contexts": []}
    for path in paths:
        content = _load_yaml_file(path)
        base = os.path.dirname(os.path.abspath(path))
        if not merged.get("current-context") and content.get("current-context"):
            merged["current-context"] = content["current-context"]
        for section in ("clusters", "users", "contexts"):
            known = {entry.get("name") for entry in merged[section]}
            for entry in content.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in known:
                    merged[section].append(dict(entry, _base=base))
    return merged


def _named(kubeconfig: dict[str, t.Any], section: str, name: str, where: str) -> dict[str, t.Any]:
    for entry in kubeconfig.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = dict(entry.get(section[:-1]) or {})
            body["_base"] = entry.get("_base")
            return body
    names = ", ".join(sorted(str(e.get("name")) for e in kubeconfig.get(section) or [] if isinstance(e, dict))) or "none"
    raise ConnectionSettingsError("The %s %r is not defined in %s (defined: %s)." % (section[:-1], name, where, names))


def _from_kubeconfig(params: dict[str, t.Any]) -> ConnectionSettings:
    kubeconfig_param = params.get("kubeconfig")
    if isinstance(kubeconfig_param, dict):
        kubeconfig, where, base = dict(kubeconfig_param), "the kubeconfig given as a dictionary", os.getcwd()
        for section in ("clusters", "users", "contexts"):
            kubeconfig[section] = [dict(e, _base=base) for e in kubeconfig.get(section) or [] if isinstance(e, dict)]
    elif kubeconfig_param is not None and not isinstance(kubeconfig_param, str):
        raise ConnectionSettingsError("The 'kubeconfig' option must be a file path or a dictionary, not %s." % type(kubeconfig_param).__name__)
    else:
        paths, where = _kubeconfig_paths(params)
        kubeconfig = _merged_kubeconfig(paths)

    context_name = params.get("context") or kubeconfig.get("current-context")
    if not context_name:
        raise ConnectionSettingsError("%s has no current-context: set the 'context' option (K8S_AUTH_CONTEXT)." % where.capitalize())
    context = _named(kubeconfig, "contexts", context_name, where)
    cluster = _named(kubeconfig, "clusters", str(context.get("cluster")), where)
    user = _named(kubeconfig, "users", str(context.get("user")), where) if context.get("user") else {"_base": None}

    if not cluster.get("server") and not params.get("host"):
        raise ConnectionSettingsError("The cluster of context %r in %s has no server address." % (context_name, where))
    settings = ConnectionSettings(str(cluster.get("server") or params.get("host")), "context %r of %s" % (context_name, where))
    settings.verify = not cluster.get("insecure-skip-tls-verify", False)
    settings.proxy = cluster.get("proxy-url")
    if cluster.get("certificate-authority-data"):
        settings.ca_data = _decode(cluster["certificate-authority-data"], "certificate-authority-data", where).decode("utf-8", "replace")
    elif cluster.get("certificate-authority"):
        settings.ca_file = _relative_file(cluster["certificate-authority"], cluster["_base"], "certificate-authority", where)

    if user.get("exec") or user.get("auth-provider"):
        _use_kubernetes_client_for_plugins(settings, params, context_name)
        return settings
    if user.get("token"):
        settings.token = str(user["token"])
    elif user.get("tokenFile"):
        with open(_relative_file(user["tokenFile"], user["_base"], "tokenFile", where), encoding="utf-8") as token_file:
            settings.token = token_file.read().strip()
    settings.username, settings.password = user.get("username"), user.get("password")
    if user.get("client-certificate-data"):
        settings.client_cert_data = _decode(user["client-certificate-data"], "client-certificate-data", where)
    elif user.get("client-certificate"):
        settings.client_cert_file = _relative_file(user["client-certificate"], user["_base"], "client-certificate", where)
    if user.get("client-key-data"):
        settings.client_key_data = _decode(user["client-key-data"], "client-key-data", where)
    elif user.get("client-key"):
        settings.client_key_file = _relative_file(user["client-key"], user["_base"], "client-key", where)
    settings.impersonate_user = user.get("as")
    settings.impersonate_groups = list(user.get("as-groups") or [])
    return settings


def _decode(value: str, field: str, where: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError) as error:
        raise ConnectionSettingsError("The %s in %s is not valid base64." % (field, where)) from error


def _relative_file(path: str, base: str | None, field: str, where: str) -> str:
    full = os.path.join(base or os.getcwd(), os.path.expanduser(path))
    if not os.path.isfile(full):
        raise ConnectionSettingsError("The %s file named in %s does not exist: %s" % (field, where, full))
    return full


def _use_kubernetes_client_for_plugins(settings: ConnectionSettings, params: dict[str, t.Any], context_name: str) -> None:
    """Let kubernetes.config run exec / auth-provider plugins; keep the token fresh per request."""
    try:
        from kubernetes import client, config
    except ImportError as error:
        raise ConnectionSettingsError(
            "The user of context %r authenticates through an exec or auth-provider plugin, which needs the "
            "'kubernetes' Python library: pip install kubernetes" % context_name
        ) from error
    configuration = client.Configuration()
    try:
        if isinstance(params.get("kubeconfig"), dict):
            config.load_kube_config_from_dict(
                config_dict=params["kubeconfig"], context=context_name, client_configuration=configuration,
                persist_config=bool(params.get("persist_config")),
            )
        else:
            config.load_kube_config(
                config_file=params.get("kubeconfig") if isinstance(params.get("kubeconfig"), str) else None,
                context=context_name, client_configuration=configuration, persist_config=bool(params.get("persist_config")),
            )
    except Exception as error:  # kubernetes.config raises plain Exceptions from plugins
        raise ConnectionSettingsError("The credential plugin of context %r failed: %s" % (context_name, error)) from error

    def current_token() -> str:
        # get_api_key_with_prefix runs the refresh hook. Recent clients name the key "BearerToken",
        # older ones "authorization".
        value = (configuration.get_api_key_with_prefix("BearerToken")
                 or configuration.get_api_key_with_prefix("authorization") or "")
        return value[len("Bearer "):] if value.startswith("Bearer ") else value

    settings.token_provider = current_token
    settings.client_cert_file = configuration.cert_file or None
    settings.client_key_file = configuration.key_file or None

# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options -> settings, and the TLS, proxy and plugin paths of the API client."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import sys
import typing as t
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fake_api import FakeApiServer

from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import KubernetesApi, _bypasses_proxy
from ansible_collections.openshift_serverless.ha.plugins.module_utils._connection import (
    ConnectionSettingsError,
    kubeconfig_secrets,
    resolve_connection,
)

NAMESPACE_LIST = "/api/v1/namespaces/default"


def kubeconfig_dict(server: str, user: dict[str, t.Any], cluster: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    return {"current-context": "main",
            "clusters": [{"name": "c", "cluster": dict({"server": server}, **(cluster or {}))}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": "main", "context": {"cluster": "c", "user": "u"}}]}


def write(path: Path, content: t.Any) -> str:
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return str(path)


def test_token_file_and_certificate_paths_are_relative_to_the_kubeconfig(tmp_path):
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf" / "token", "from-a-file\n")
    write(tmp_path / "conf" / "ca.crt", "ca")
    path = write(tmp_path / "conf" / "kubeconfig", kubeconfig_dict(
        "https://api.example.com:6443", {"tokenFile": "token"}, {"certificate-authority": "ca.crt"}))

    settings = resolve_connection({"kubeconfig": path})

    assert settings.bearer_token() == "from-a-file"
    assert settings.ca_file == str(tmp_path / "conf" / "ca.crt")
    assert settings.verify is True
    assert settings.source == "context 'main' of kubeconfig %s" % path


def test_explicit_options_override_the_kubeconfig(tmp_path):
    path = write(tmp_path / "kubeconfig", kubeconfig_dict("https://a.example.com", {"token": "t1"},
                                                          {"insecure-skip-tls-verify": True}))

    settings = resolve_connection({"kubeconfig": path, "host": "https://b.example.com/", "api_key": "t2",
                                   "validate_certs": True})

    assert (settings.server, settings.bearer_token(), settings.verify) == ("https://b.example.com", "t2", True)


def test_kubeconfig_environment_files_are_merged_first_wins(tmp_path, monkeypatch):
    first = write(tmp_path / "one", {"current-context": "main", "contexts": [
        {"name": "main", "context": {"cluster": "c", "user": "u"}}], "users": [{"name": "u", "user": {"token": "first"}}]})
    second = write(tmp_path / "two", kubeconfig_dict("https://second.example.com", {"token": "second"}))
    monkeypatch.setenv("KUBECONFIG", "%s:%s:%s" % (first, tmp_path / "absent", second))

    settings = resolve_connection({})

    assert settings.server == "https://second.example.com" and settings.bearer_token() == "first"


def test_in_cluster_service_account(tmp_path, monkeypatch):
    from ansible_collections.openshift_serverless.ha.plugins.module_utils import _connection

    write(tmp_path / "token", "sa-token")
    write(tmp_path / "ca.crt", "ca")
    monkeypatch.setattr(_connection, "IN_CLUSTER_TOKEN", str(tmp_path / "token"))
    monkeypatch.setattr(_connection, "IN_CLUSTER_CA", str(tmp_path / "ca.crt"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")

    settings = resolve_connection({})

    assert settings.server == "https://[fd00::1]:443"
    assert settings.bearer_token() == "sa-token" and settings.ca_file == str(tmp_path / "ca.crt")


@pytest.mark.parametrize("content, message", [
    ("- a list\n", "does not hold a kubeconfig"),
    ({"current-context": "x"}, "The context 'x' is not defined"),
    ({"contexts": [{"name": "x", "context": {"cluster": "c"}}]}, "has no current-context"),
    (kubeconfig_dict("api.example.com:6443", {}), "is not a URL"),
    (kubeconfig_dict("https://a", {"client-key-data": "!!"}), "client-key-data in kubeconfig"),
    (kubeconfig_dict("https://a", {"client-certificate": "missing.crt"}), "client-certificate file named in kubeconfig"),
])
def test_broken_kubeconfigs_say_what_is_wrong(tmp_path, content, message):
    path = write(tmp_path / "kubeconfig", content)

    with pytest.raises(ConnectionSettingsError, match=message.replace("(", r"\(")):
        resolve_connection({"kubeconfig": path})


def test_kubeconfig_of_the_wrong_type():
    with pytest.raises(ConnectionSettingsError, match="must be a file path or a dictionary, not list"):
        resolve_connection({"kubeconfig": ["a"]})


def test_secrets_of_a_dictionary_kubeconfig_are_found():
    config = kubeconfig_dict("https://a", {
        "token": "tok-123456", "client-key-data": "a2V5LWRhdGE=",
        "auth-provider": {"name": "oidc", "config": {"id-token": "idt-123456", "refresh-token": "ref-123456"}},
        "exec": {"command": "x", "env": [{"name": "SECRET", "value": "env-123456"}]}})

    assert kubeconfig_secrets(config) == {"tok-123456", "a2V5LWRhdGE=", "idt-123456", "ref-123456", "env-123456"}
    assert kubeconfig_secrets("/path/to/kubeconfig") == set()


@pytest.mark.parametrize("host, no_proxy, bypass", [
    ("https://api.example.com:6443", "example.com", True),
    ("https://api.example.com:6443", ".example.com", True),
    ("https://api.example.com:6443", "other.com, api.example.com", True),
    ("https://api.example.com:6443", "ample.com", False),
    ("https://10.1.2.3:6443", "10.0.0.0/8", True),
    ("https://10.1.2.3:6443", "192.168.0.0/16", False),
    ("https://api.example.com:6443", "*", True),
    ("https://api.example.com:6443", None, False),
])
def test_no_proxy_matching(host, no_proxy, bypass):
    assert _bypasses_proxy(host, no_proxy) is bypass


def test_exec_plugin_token_reaches_the_server(tmp_path):
    """An exec credential plugin is run by the kubernetes client; its token is sent as bearer."""
    server = FakeApiServer().start()
    try:
        server.token = "exec-plugin-token"
        server.add(NAMESPACE_LIST, {"kind": "Namespace", "metadata": {"name": "default"}})
        credential = json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                                 "status": {"token": "exec-plugin-token"}})
        config = kubeconfig_dict(server.url, {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
            "args": ["-c", "print(%r)" % credential], "interactiveMode": "Never"}})
        settings = resolve_connection({"kubeconfig": write(tmp_path / "kubeconfig", config)})

        namespace = KubernetesApi(settings, 5, "test").get(NAMESPACE_LIST)

        assert namespace["metadata"]["name"] == "default"
        assert server.requests[0].headers["authorization"] == ["Bearer exec-plugin-token"]
    finally:
        server.stop()


class Pki:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM bytes."""

    def __init__(self) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = self._certificate("test-ca", self.ca_key, self.ca_key, None, ca=True)
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_cert = self._certificate("127.0.0.1", self.server_key, self.ca_key, self.ca_cert, ip="127.0.0.1")
        self.client_key = ec.generate_private_key(ec.SECP256R1())
        self.client_cert = self._certificate("ha-admin", self.client_key, self.ca_key, self.ca_cert)

    @staticmethod
    def _certificate(name, key, signer, issuer, ca=False, ip=None):
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(issuer.subject if issuer is not None else subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
        if ip:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                            critical=False)
        return builder.sign(signer, hashes.SHA256())

    @staticmethod
    def pem(item) -> bytes:
        if isinstance(item, x509.Certificate):
            return item.public_bytes(serialization.Encoding.PEM)
        return item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture
def tls_server(pki, tmp_path) -> t.Iterator[FakeApiServer]:
    """The fake API server behind TLS, asking for a client certificate signed by the CA."""
    write(tmp_path / "server.crt", Pki.pem(pki.server_cert).decode())
    write(tmp_path / "server.key", Pki.pem(pki.server_key).decode())
    write(tmp_path / "ca.crt", Pki.pem(pki.ca_cert).decode())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / "server.crt"), str(tmp_path / "server.key"))
    context.load_verify_locations(str(tmp_path / "ca.crt"))
    context.verify_mode = ssl.CERT_OPTIONAL
    server = FakeApiServer()
    server._httpd.socket = context.wrap_socket(server._httpd.socket, server_side=True)
    server.url = server.url.replace("http://", "https://")
    server.add(NAMESPACE_LIST, {"kind": "Namespace", "metadata": {"name": "default"}})
    server.start()
    yield server
    server.stop()


def test_tls_with_ca_data_and_client_certificate_data(pki, tls_server, tmp_path):
    server = tls_server
    config = kubeconfig_dict(server.url, {
        "client-certificate-data": base64.b64encode(Pki.pem(pki.client_cert)).decode(),
        "client-key-data": base64.b64encode(Pki.pem(pki.client_key)).decode()},
        {"certificate-authority-data": base64.b64encode(Pki.pem(pki.ca_cert)).decode()})
    settings = resolve_connection({"kubeconfig": write(tmp_path / "kubeconfig", config)})

    assert KubernetesApi(settings, 5, "test").get(NAMESPACE_LIST)["metadata"]["name"] == "default"
    assert not list(tmp_path.glob("knative-ha-*")), "the temporary key files are gone"


def test_tls_with_an_unknown_ca_is_refused_with_advice(pki, tls_server, tmp_path):
    from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import ApiUnreachable

    server = tls_server
    other_ca = Pki()
    config = kubeconfig_dict(server.url, {"token": "x"},
                             {"certificate-authority-data": base64.b64encode(Pki.pem(other_ca.ca_cert)).decode()})
    settings = resolve_connection({"kubeconfig": write(tmp_path / "kubeconfig", config)})

    with pytest.raises(ApiUnreachable, match="TLS connection to %s failed.*ca_cert" % server.url):
        KubernetesApi(settings, 5, "test").get(NAMESPACE_LIST)


def test_validate_certs_false_skips_verification(pki, tls_server, tmp_path):
    server = tls_server
    settings = resolve_connection({"host": server.url, "api_key": "x", "validate_certs": False})

    assert KubernetesApi(settings, 5, "test").get(NAMESPACE_LIST)["metadata"]["name"] == "default"


def test_user_agent_version_is_the_collection_version():
    from ansible_collections.openshift_serverless.ha.plugins.module_utils._api import COLLECTION_VERSION

    galaxy = yaml.safe_load((Path(__file__).resolve().parents[4] / "galaxy.yml").read_text())
    assert COLLECTION_VERSION == galaxy["version"]

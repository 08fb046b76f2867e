# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Same option names and K8S_AUTH_* fallbacks as kubernetes.core, so playbooks,
    # AWX credentials and habits carry over unchanged.
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig content as a dictionary.
      - When neither O(kubeconfig), O(context) nor O(host) is given, the module uses the
        in-cluster service account when it runs inside a pod, otherwise the file named by
        the E(KUBECONFIG) environment variable or C(~/.kube/config).
      - Secrets found in a dictionary kubeconfig never appear in the module output.
      - Can also be set with the E(K8S_AUTH_KUBECONFIG) environment variable.
    type: raw
  context:
    description:
      - The kubeconfig context to use instead of the current context.
      - Can also be set with the E(K8S_AUTH_CONTEXT) environment variable.
    type: str
  host:
    description:
      - URL of the Kubernetes API server, for example C(https://api.cluster.example.com:6443).
      - Overrides the server of the kubeconfig context.
      - Can also be set with the E(K8S_AUTH_HOST) environment variable.
    type: str
  api_key:
    description:
      - Bearer token used to authenticate with the API server, for example the output of C(oc whoami -t).
      - Can also be set with the E(K8S_AUTH_API_KEY) environment variable.
    type: str
  username:
    description:
      - User name for HTTP basic authentication.
      - Can also be set with the E(K8S_AUTH_USERNAME) environment variable.
    type: str
  password:
    description:
      - Password for HTTP basic authentication.
      - Can also be set with the E(K8S_AUTH_PASSWORD) environment variable.
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate.
      - When not set, verification is on unless the kubeconfig cluster sets C(insecure-skip-tls-verify).
      - Can also be set with the E(K8S_AUTH_VERIFY_SSL) environment variable.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to a CA certificate file used to verify the API server.
      - Can also be set with the E(K8S_AUTH_SSL_CA_CERT) environment variable.
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate file for TLS client authentication.
      - Can also be set with the E(K8S_AUTH_CERT_FILE) environment variable.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the private key file of O(client_cert).
      - Can also be set with the E(K8S_AUTH_KEY_FILE) environment variable.
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP proxy to reach the API server through.
      - Can also be set with the E(K8S_AUTH_PROXY) environment variable.
    type: str
  no_proxy:
    description:
      - Comma separated host names, domain suffixes, IP addresses or CIDR ranges reached without O(proxy).
      - Can also be set with the E(K8S_AUTH_NO_PROXY) environment variable.
    type: str
  proxy_headers:
    description:
      - Headers sent to O(proxy).
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy's basic authentication.
          - Can also be set with the E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) environment variable.
        type: str
      basic_auth:
        description:
          - C(user:password) sent as an C(Authorization) header to the proxy.
          - Can also be set with the E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) environment variable.
        type: str
      user_agent:
        description:
          - User agent sent to the proxy.
          - Can also be set with the E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) environment variable.
        type: str
  persist_config:
    description:
      - Whether to write a refreshed token back to the kubeconfig file.
      - Only used for kubeconfig users authenticated by an C(exec) or C(auth-provider) plugin.
      - Can also be set with the E(K8S_AUTH_PERSIST_CONFIG) environment variable.
    type: bool
  impersonate_user:
    description:
      - User name to impersonate for the requests.
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_USER) environment variable.
    type: str
  impersonate_groups:
    description:
      - Groups to impersonate for the requests.
      - Can also be set with the E(K8S_AUTH_IMPERSONATE_GROUPS) environment variable.
    type: list
    elements: str
  request_timeout:
    description:
      - Seconds to wait for the API server to answer one request before giving up.
    type: float
    default: 30
notes:
  - Requests go to the known API paths of the resources; the module performs no API discovery
    and writes no cache files.
  - The C(openshift) Python client is not needed; the modules work whether or not it is installed.
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0 (urllib3 and PyYAML come with it; the client itself is only imported for
    kubeconfig users that authenticate through an C(exec) or C(auth-provider) plugin)
"""

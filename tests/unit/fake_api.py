# -*- coding: utf-8 -*-
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A fake Kubernetes API server on loopback: the HTTP layer the unit tests fake.

It speaks just enough of the API for the modules: GET of objects and lists, JSON merge
PATCH with resourceVersion preconditions, generation bumps and server-side dry runs,
POST of SelfSubjectAccessReviews, and the real error bodies (Status objects, the plain
text 404 for unserved group/versions). Tests script failures with ``fail_next``.
The modules under test run unchanged against it.
"""

from __future__ import annotations

import copy
import json
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


TOKEN = "unit-test-token-0123456789"  # the admin token of the unit tests' kubeconfig


class RecordedRequest(t.NamedTuple):
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, list[str]]
    body: t.Any


def status_body(code: int, reason: str, message: str, details: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason,
            "details": details or {}, "code": code}


def merge_patch(target: t.Any, patch: t.Any) -> t.Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class FakeApiServer:
    """Objects keyed by their REST path; every request is recorded."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, t.Any]] = {}
        self.served: set[str] = set()  # "/apis/group/version" prefixes that exist
        self.requests: list[RecordedRequest] = []
        self.scripted: list[tuple[str, str, int, t.Any]] = []  # (method, path, status, body), used once each
        self.denied: set[tuple[str, str]] = set()  # (verb, resource) refused by access reviews
        self.token: str | None = None  # when set, other bearer tokens get 401
        # Resource types whose LIST answers an empty list when nothing is stored (others: 404 NotFound).
        self.collections = {"deployments", "horizontalpodautoscalers", "leases", "clusterserviceversions"}
        self._resource_version = 100
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = "http://127.0.0.1:%d" % self._httpd.server_address[1]
        # A short poll interval: shutdown() waits for the next poll, 0.5 s by default, in every test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> "FakeApiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def add(self, path: str, obj: dict[str, t.Any]) -> dict[str, t.Any]:
        """Store an object at its REST path and serve its group/version."""
        obj = copy.deepcopy(obj)
        metadata = obj.setdefault("metadata", {})
        metadata.setdefault("generation", 1)
        metadata["resourceVersion"] = self._next_version()
        self.objects[path] = obj
        self.serve(path)
        return obj

    def serve(self, path: str) -> None:
        parts = path.split("/")
        self.served.add("/".join(parts[:4]) if parts[1] == "apis" else "/".join(parts[:3]))

    def fail_next(self, method: str, path: str, status: int, body: t.Any) -> None:
        self.scripted.append((method, path, status, body))

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def _next_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: t.Any) -> None:  # keep test output clean
                pass

            def _reply(self, status: int, body: t.Any) -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                headers: dict[str, list[str]] = {}
                for key, value in self.headers.items():
                    headers.setdefault(key.lower(), []).append(value)
                with server._lock:
                    server.requests.append(RecordedRequest(self.command, split.path, parse_qs(split.query), headers, body))
                    status, reply = server._respond(self.command, split.path, parse_qs(split.query), headers, body)
                self._reply(status, reply)

            do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _handle

        return Handler

    def _respond(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, list[str]],
                 body: t.Any) -> tuple[int, t.Any]:
        for index, (s_method, s_path, status, reply) in enumerate(self.scripted):
            if s_method == method and s_path == path:
                del self.scripted[index]
                return status, reply
        if self.token is not None and headers.get("authorization") != ["Bearer %s" % self.token]:
            return 401, status_body(401, "Unauthorized", "Unauthorized")
        if not any(path == prefix or path.startswith(prefix + "/") for prefix in self.served):
            return 404, "404 page not found\n"
        if method == "POST" and path.endswith("/selfsubjectaccessreviews"):
            return 201, self._review(body)
        if method == "GET" and path in self.objects:
            return 200, self.objects[path]
        if method == "GET" and any(p.rsplit("/", 1)[0] == path for p in self.objects):
            items = [obj for p, obj in sorted(self.objects.items()) if p.rsplit("/", 1)[0] == path]
            return 200, {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": self._next_version()}, "items": items}
        if method == "GET" and not path.split("/")[-1] in self.collections:
            name = path.rsplit("/", 1)[-1]
            return 404, status_body(404, "NotFound", '"%s" not found' % name, {"name": name})
        if method == "GET":
            return 200, {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []}
        if method == "PATCH" and path in self.objects:
            return self._patch(path, query, headers, body)
        name = path.rsplit("/", 1)[-1]
        return 404, status_body(404, "NotFound", '"%s" not found' % name, {"name": name})

    def _patch(self, path: str, query: dict[str, list[str]], headers: dict[str, list[str]], body: t.Any) -> tuple[int, t.Any]:
        if headers.get("content-type") != ["application/merge-patch+json"]:
            return 415, status_body(415, "UnsupportedMediaType", "unsupported patch type")
        current = self.objects[path]
        wanted_version = ((body or {}).get("metadata") or {}).get("resourceVersion")
        if wanted_version is not None and wanted_version != current["metadata"]["resourceVersion"]:
            return 409, status_body(409, "Conflict", "the object has been modified; please apply your changes to the "
                                    "latest version and try again", {"name": path.rsplit("/", 1)[-1]})
        updated = merge_patch(current, body)
        if updated.get("spec") != current.get("spec"):
            updated["metadata"]["generation"] = current["metadata"]["generation"] + 1
        if updated == current:
            return 200, current
        updated["metadata"]["resourceVersion"] = self._next_version()
        if query.get("dryRun") != ["All"]:
            self.objects[path] = updated
        return 200, updated

    def _review(self, body: dict[str, t.Any]) -> dict[str, t.Any]:
        attributes = (body.get("spec") or {}).get("resourceAttributes") or {}
        resource = attributes.get("resource", "")
        if attributes.get("group"):
            resource += "." + attributes["group"]
        allowed = (attributes.get("verb"), resource) not in self.denied
        return dict(body, status={"allowed": allowed})

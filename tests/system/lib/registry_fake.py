#!/usr/bin/env python3
"""A tiny read-only registry for the failure cases a real one will not
produce: it serves the image of an OCI layout directory as REPO:latest and
misbehaves as --mode says.

  ok          plain v2 API
  corrupt     the layer blob has one byte changed (same size)
  truncate    the layer blob stops halfway (Content-Length is the full size)
  flaky       the first layer GET stops halfway; Range requests are honoured
  429         manifests answer 429 (Retry-After: 1) twice, then work
  429-always  manifests always answer 429 (Retry-After: 0)
  schema1     the manifest is a Docker schema 1 one
  bearer      token auth: /v2/ asks for a Bearer token from /token
              (with --user U:P the token server wants Basic U:P)
  redirect    blob GETs are redirected to /storage/DIGEST

Usage: registry_fake.py --layout DIR --repo NAME --mode MODE --port-file F
The chosen port is written to F once the server listens.
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
blobs = {}
manifest = b""
manifest_type = ""
counts = {}
lock = threading.Lock()


def bump(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


def load_layout(layout):
    global manifest, manifest_type
    index = json.load(open(os.path.join(layout, "index.json")))
    desc = index["manifests"][0]
    bdir = os.path.join(layout, "blobs", "sha256")
    for name in os.listdir(bdir):
        blobs["sha256:" + name] = open(os.path.join(bdir, name), "rb").read()
    manifest = blobs[desc["digest"]]
    manifest_type = desc["mediaType"]
    if args.mode == "schema1":
        manifest = json.dumps({"schemaVersion": 1, "name": args.repo, "tag": "latest",
                               "architecture": "amd64", "fsLayers": [], "history": []}).encode()
        manifest_type = "application/vnd.docker.distribution.manifest.v1+prettyjws"


def layer_digests():
    return [l["digest"] for l in json.loads(blobs[manifest_digest()])["layers"]] if args.mode != "schema1" else []


def manifest_digest():
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    def send(self, code, body=b"", ctype="application/json", headers=None, head=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, code, errcode, msg, headers=None):
        body = json.dumps({"errors": [{"code": errcode, "message": msg}]}).encode()
        self.send(code, body, headers=headers)

    def authorized(self):
        if args.mode != "bearer":
            return True
        if self.headers.get("Authorization", "") == "Bearer good-token":
            return True
        host = self.headers.get("Host")
        self.error(401, "UNAUTHORIZED", "authentication required", {
            "WWW-Authenticate": 'Bearer realm="http://%s/token",service="fake-registry",scope="repository:%s:pull"'
                                % (host, args.repo)})
        return False

    def do_token(self):
        if args.user:
            want = "Basic " + base64.b64encode(args.user.encode()).decode()
            if self.headers.get("Authorization", "") != want:
                return self.error(401, "UNAUTHORIZED", "bad credentials")
        if "scope=repository%3A" not in self.path and "scope=repository:" not in self.path:
            return self.error(400, "DENIED", "no scope asked for")
        self.send(200, json.dumps({"token": "good-token", "expires_in": 300}).encode())

    def serve_blob(self, digest, head):
        if digest not in blobs:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        data = blobs[digest]
        is_layer = digest in layer_digests()
        if is_layer and args.mode == "corrupt":
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        start = 0
        rng = self.headers.get("Range")
        if rng and args.mode == "flaky" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
        if head:
            return self.send(200, data, "application/octet-stream", head=True)
        cut = is_layer and (args.mode == "truncate" or (args.mode == "flaky" and bump("flaky-" + digest) == 1))
        if start:
            body = data[start:]
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def handle_any(self, head):
        path = self.path.split("?")[0]
        if path == "/token":
            return self.do_token()
        if path.startswith("/storage/"):
            return self.serve_blob(path[len("/storage/"):], head)
        if path == "/v2/" or path == "/v2":
            if not self.authorized():
                return
            return self.send(200, b"{}", head=head)
        if not self.authorized():
            return
        prefix = "/v2/" + args.repo + "/"
        if not path.startswith(prefix):
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        rest = path[len(prefix):]
        if rest.startswith("manifests/"):
            ref = rest[len("manifests/"):]
            if args.mode == "429" and bump("429") <= 2:
                return self.error(429, "TOOMANYREQUESTS", "slow down", {"Retry-After": "1"})
            if args.mode == "429-always":
                return self.error(429, "TOOMANYREQUESTS", "slow down", {"Retry-After": "0"})
            if ref not in ("latest", manifest_digest()):
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            return self.send(200, manifest, manifest_type, {"Docker-Content-Digest": manifest_digest()}, head=head)
        if rest.startswith("blobs/"):
            digest = rest[len("blobs/"):]
            if args.mode == "redirect" and not head:
                self.send_response(307)
                self.send_header("Location", "/storage/" + digest)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.serve_blob(digest, head)
        return self.error(404, "NOT_FOUND", "not found")

    def do_GET(self):
        self.handle_any(False)

    def do_HEAD(self):
        self.handle_any(True)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--layout", required=True)
    p.add_argument("--repo", default="test/busybox")
    p.add_argument("--mode", default="ok")
    p.add_argument("--user", default="")
    p.add_argument("--port-file", required=True)
    args = p.parse_args()
    load_layout(args.layout)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()

// Per-registry TLS material from the certs.d directories Podman and Docker
// read: HOST[:PORT]/*.crt are extra CAs, *.cert with a matching *.key is a
// client certificate.
#pragma once

#include <string>
#include <vector>

#include "registry/http.hpp"

namespace skiff::registry {

// The certs.d roots searched, most specific first: the user's
// ~/.config/containers/certs.d, /etc/containers/certs.d, /etc/docker/certs.d.
std::vector<std::string> certs_d_roots();

// TLS settings for `host` ("quay.io", "localhost:5000"). `cert_dir`, when
// set (--cert-dir), holds the files directly and replaces the certs.d lookup.
TlsConfig tls_for_host(const std::string& host, bool verify, const std::string& cert_dir);

// Reads one directory's *.crt, *.cert and *.key into `tls`.
void add_cert_dir(TlsConfig& tls, const std::string& dir);

}  // namespace skiff::registry

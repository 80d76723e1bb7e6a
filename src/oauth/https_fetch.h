// A small synchronous HTTP(S) GET client for fetching documents a client registered by URL
// (its jwks_uri and sector_identifier_uri; later request_uri).
//
// HTTPS only, verified against the system's trust store (plus an optional extra CA file) with
// the host name (or IP address) checked against the certificate, TLS 1.2 or newer, SNI sent.
// Plain http:// is refused unless FetchOptions::allow_loopback_http is set AND every address the
// host resolves to is a loopback address (tests, the demo). Redirects are not followed. The
// whole exchange (resolve, connect, handshake, request, response) shares one deadline, and a
// body larger than max_body_bytes is refused.
//
// Failures: InvalidArgument for a URL this client will not fetch, Unavailable for anything that
// went wrong on the network or with the peer (with the reason, for logs).
//
// Thread-safety: an HttpsFetcher may be used from several threads at once; each Get runs on
// its own I/O context.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::oauth {

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};
  size_t max_body_bytes = 64 * 1024;
  bool allow_loopback_http = false;
  std::string extra_ca_file;  // PEM trust anchors added to the system's (private CAs, tests)
};

struct FetchResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string cache_control;
};

// A URL split for fetching. `host` is without brackets for IPv6 literals.
struct FetchUrl {
  bool tls = true;
  std::string host;
  std::string port;    // "443" / "80" when absent
  std::string target;  // path and query, "/" when empty
};

// Strict: scheme https (or http when allowed), no userinfo, no fragment, a host, a port in
// 1..65535, printable ASCII only.
Result<FetchUrl> ParseFetchUrl(std::string_view url, bool allow_http);

class HttpsFetcher {
 public:
  explicit HttpsFetcher(FetchOptions options = {});
  ~HttpsFetcher();
  HttpsFetcher(const HttpsFetcher&) = delete;
  HttpsFetcher& operator=(const HttpsFetcher&) = delete;

  Result<FetchResponse> Get(std::string_view url) const;
  // The body of a 200 answer; any other status is Unavailable ("fetch: HTTP 404"), as is every
  // failure of Get. For documents that are either there or not (sector_identifier_uri).
  Result<std::string> GetBody(std::string_view url) const;
  const FetchOptions& options() const { return options_; }

 private:
  struct Tls;  // the TLS context, built on first use (https_fetch.cc)
  FetchOptions options_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace idscheme::oauth

// A small blocking HTTP/1.1 client for the reference app (`idscheme app`): one request per
// connection (Connection: close), JSON in and out, one deadline for the whole exchange.
//
// Plain http:// only, and only to a loopback host (127.0.0.1, ::1, localhost): enough for the
// demo and tests. A real phone app talks HTTPS to the scheme; TLS here is still to do.
//
// Thread-safety: stateless functions; each call runs its own I/O context.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::app {

struct BaseUrl {
  std::string host;  // without brackets for IPv6
  std::string port;  // "80" when absent
  std::string path;  // prefix without a trailing '/', often empty
  std::string text;  // "http://host:port/prefix" as normalised
};

// http://HOST[:PORT][/PREFIX], loopback HOST only; no query, fragment or userinfo.
Result<BaseUrl> ParseBaseUrl(std::string_view url);

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Unavailable when the server cannot be reached or answers garbage.
Result<HttpResult> HttpRequest(const BaseUrl& base, std::string_view method, std::string_view path,
                               const std::map<std::string, std::string>& headers,
                               std::string_view body, std::chrono::milliseconds timeout);

}  // namespace idscheme::app

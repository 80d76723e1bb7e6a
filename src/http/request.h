// Request: one parsed HTTP request as a handler sees it.
//
// The server fills it from the wire after strict checks: the target is origin-form, the path is
// percent-decoded strictly (no %00, no encoded '/', no dot segments, valid UTF-8), the header
// block and body are within the configured limits. Body parsers (FormBody, JsonBody) and the query
// parser are strict too and return invalid_request errors ready for Response::Error.
//
// Thread-safety: a Request belongs to one connection and is used by one handler at a time; const
// methods may be called from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/form.h"

namespace idscheme::http {

struct Header {
  std::string name;
  std::string value;
};

// The deepest nesting JsonBody accepts (objects and arrays).
inline constexpr int kMaxJsonDepth = 32;

class Request {
 public:
  const std::string& method() const { return method_; }
  // The request target as sent (path and query, still encoded).
  const std::string& target() const { return target_; }
  // The decoded path ("/users/a b" for "/users/a%20b").
  const std::string& path() const { return path_; }
  // The query after '?', still encoded (empty when absent). Never log it: it may carry secrets.
  const std::string& raw_query() const { return raw_query_; }
  const std::string& body() const { return body_; }
  std::string& mutable_body() { return body_; }
  // The client's IP address ("127.0.0.1", "::1"): the TCP peer's, or behind a trusted proxy
  // the one its X-Forwarded-For names (proxies.h). The peer's own address and port:
  // peer_address(), remote_port().
  const std::string& remote_address() const {
    return client_address_.empty() ? remote_address_ : client_address_;
  }
  const std::string& peer_address() const { return remote_address_; }
  uint16_t remote_port() const { return remote_port_; }
  bool is_tls() const { return is_tls_; }
  // The client's X-Request-Id when it is well-formed (1-64 of [A-Za-z0-9._:-]), else a fresh
  // random one. Echoed in the response's X-Request-Id and in the access log.
  const std::string& request_id() const { return request_id_; }
  // The route's name ("token", "userinfo"); "unmatched" before routing or when none matched.
  const std::string& route_name() const { return route_name_; }

  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> GetHeader(std::string_view name) const;
  // Every value of `name`, in order (callers that need exactly one, such as DPoP (RFC 9449 §4.3),
  // check the count).
  std::vector<std::string_view> GetHeaders(std::string_view name) const;
  size_t HeaderCount(std::string_view name) const;
  // The value of cookie `name` in the Cookie header(s) (RFC 6265 §4.2.1: cookie-pair *( "; "
  // cookie-pair )); empty when absent.
  std::string_view CookieValue(std::string_view name) const;
  std::span<const Header> headers() const { return {headers_.data(), header_count_}; }

  // A `{name}` segment of the matched route, decoded; nullopt when the route has none.
  std::optional<std::string_view> PathParam(std::string_view name) const;

  // The query string parsed strictly (see form.h).
  Result<FormParams> QueryParams() const;
  // The body as application/x-www-form-urlencoded: the Content-Type must say so (charset, if
  // given, UTF-8), then parsed strictly (see form.h).
  Result<FormParams> FormBody() const;
  // The body as JSON: Content-Type application/json (charset, if given, UTF-8), valid UTF-8,
  // nesting at most kMaxJsonDepth, and no object with a duplicate key at any depth.
  Result<nlohmann::json> JsonBody() const;

  // Building a Request (the server, tests, fuzz targets).
  void Clear();  // keeps buffers' capacity for the next request on the connection
  void set_method(std::string_view m) { method_.assign(m); }
  // Splits and decodes `target`; invalid_request when it is not a well-formed origin-form target.
  Status SetTarget(std::string_view target);
  void AddHeader(std::string_view name, std::string_view value);
  void set_body(std::string body) { body_ = std::move(body); }
  void set_remote(std::string address, uint16_t port) {
    remote_address_ = std::move(address);
    remote_port_ = port;
  }
  // The client's address when a trusted proxy named it ("" = the peer's); kept until changed.
  void set_client_address(std::string address) { client_address_ = std::move(address); }
  void set_tls(bool tls) { is_tls_ = tls; }
  void set_request_id(std::string id) { request_id_ = std::move(id); }
  void set_route_name(std::string_view name) { route_name_.assign(name); }
  void AddPathParam(std::string name, std::string value) {
    path_params_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::string method_;
  std::string target_;
  std::string path_;
  std::string raw_query_;
  std::vector<Header> headers_;
  size_t header_count_ = 0;  // headers_ keeps spare entries between requests for their capacity
  std::string body_;
  std::string remote_address_;
  std::string client_address_;
  uint16_t remote_port_ = 0;
  bool is_tls_ = false;
  std::string request_id_;
  std::string route_name_ = "unmatched";
  std::vector<std::pair<std::string, std::string>> path_params_;
};

// True when `id` is acceptable as a client-supplied X-Request-Id.
bool IsValidRequestId(std::string_view id);
// A fresh random request id (32 hex digits; not a secret, not for security decisions).
std::string NewRequestId();

// Splits a Content-Type value into its lower-cased media type and, when present, its charset
// parameter (lower-cased). invalid_request when malformed.
struct MediaType {
  std::string type;     // "application/json"
  std::string charset;  // "" when absent
};
Result<MediaType> ParseMediaType(std::string_view content_type);

// ASCII case-insensitive comparison (header names, media types).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace idscheme::http

// Response: what a handler returns; the server adds the default headers and writes it.
//
// Defaults the server applies to every response (so handlers cannot forget them):
//   Cache-Control: no-store          unless the response set its own (CacheFor): tokens and
//                                    personal data must not be cached (RFC 6749 §5.1)
//   X-Content-Type-Options: nosniff
//   X-Request-Id, Date, Content-Length
// Html() adds the strict browser headers (CSP, X-Frame-Options, Referrer-Policy). Header names
// and values are checked when written: one with CR, LF or NUL (response splitting) turns the
// response into a 500.
//
// Thread-safety: a value type, used by one thread at a time.
#pragma once

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/request.h"

namespace idscheme::http {

class EventStream;
// Produces server-sent events until it returns (see sse.h).
using EventStreamProducer = std::function<boost::asio::awaitable<void>(EventStream&)>;

class Response {
 public:
  Response() = default;
  explicit Response(int status) : status_(status) {}

  int status() const { return status_; }
  void set_status(int status) { status_ = status; }
  const std::string& body() const { return body_; }
  std::string& mutable_body() { return body_; }
  void set_body(std::string body) { body_ = std::move(body); }

  // Replaces every header named `name` (case-insensitive) by one with `value`.
  Response& SetHeader(std::string_view name, std::string value);
  // Adds a header even when one with that name exists.
  Response& AddHeader(std::string_view name, std::string value);
  void RemoveHeader(std::string_view name);
  std::optional<std::string_view> GetHeader(std::string_view name) const;
  const std::vector<Header>& headers() const { return headers_; }

  // Opts this response into caching ("public, max-age=N"), e.g. discovery and JWKS.
  Response& CacheFor(std::chrono::seconds max_age);

  // application/json; body = value.dump().
  static Response Json(int status, const nlohmann::json& value);
  // application/json from text the caller serialised already (e.g. a cached document).
  static Response JsonText(int status, std::string json);
  // text/html; charset=utf-8 with the strict headers. `form_action_targets` are URLs a page may
  // submit forms to besides itself (form_post to a client's redirect_uri); each becomes a CSP
  // source (scheme, host, port and path; the query is dropped) and one that cannot (not http(s),
  // or holding characters that would break the policy) is left out, so the form is blocked.
  static Response Html(int status, std::string html,
                       std::span<const std::string> form_action_targets = {});
  static Response Text(int status, std::string text);
  // 302 or 303 (RFC 9110 §15.4; 303 after a POST). Other statuses are a bug and become 302.
  static Response Redirect(int status, std::string location);
  // The error response for `status`: see error_response.h. `auth_scheme` picks the
  // WWW-Authenticate scheme where one is due ("Bearer", "DPoP", "Basic").
  static Response Error(const Status& status, std::string_view auth_scheme = {});
  // A text/event-stream response: the server sends the headers, then runs `producer` (on the
  // connection's executor, without holding a worker thread while it waits), then ends the stream.
  static Response ServerSentEvents(EventStreamProducer producer);

  // For 5xx errors: what went wrong, for the server's log line (never sent).
  const std::string& log_detail() const { return log_detail_; }
  void set_log_detail(std::string detail) { log_detail_ = std::move(detail); }

  const EventStreamProducer& event_stream() const { return event_stream_; }

 private:
  int status_ = 200;
  std::vector<Header> headers_;
  std::string body_;
  std::string log_detail_;
  EventStreamProducer event_stream_;
};

// The Content-Security-Policy of Html() pages, with extra form-action sources.
std::string HtmlContentSecurityPolicy(std::span<const std::string> extra_form_action = {});
// `url` as a CSP source expression (scheme://host[:port][/path]): ';', ',' and '\'' in the path
// percent-encoded, a path with other characters CSP cannot carry dropped (the origin stays), or
// nullopt when not even the origin can be expressed safely.
std::optional<std::string> CspSourceForUrl(std::string_view url);

// The reason phrase for a status code ("Not Found"); "Unknown" for unregistered ones.
std::string_view ReasonPhrase(int status);

}  // namespace idscheme::http

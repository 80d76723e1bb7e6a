// Internal to src/http: the HTTP/1.1 exchange on one connection, for any Beast stream whose
// lowest layer is a beast::tcp_stream (plain TCP, or TLS in tls.cc).
//
// Thread-safety: a Connection runs on its connection's strand only.
#pragma once

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>

#include "http/server_internal.h"
#include "http/sse.h"
#include "http/wire.h"

namespace idscheme::http {

struct ConnInfo {
  std::string address;
  uint16_t port = 0;
  bool tls = false;
};

// Registers a connection with the server for as long as it lives.
class ConnectionGuard {
 public:
  ConnectionGuard(ServerCore& core, std::shared_ptr<ConnState> state,
                  boost::beast::tcp_stream* stream)
      : core_(core), state_(std::move(state)) {
    state_->stream = stream;
    core_.Register(state_);
  }
  ~ConnectionGuard() {
    state_->stream = nullptr;
    core_.Unregister(state_);
  }
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

 private:
  ServerCore& core_;
  std::shared_ptr<ConnState> state_;
};

// True for errors that mean the peer is gone or too slow (nothing to answer), as opposed to a
// malformed request (answered with 400).
inline bool IsDisconnect(const boost::system::error_code& ec) {
  namespace bhttp = boost::beast::http;
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) return true;
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
}

template <class Stream>
class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(ServerCore& core, Stream& stream, ConnState& state, ConnInfo info)
      : core_(core), opt_(core.options), stream_(stream), state_(state) {
    req_.set_remote(std::move(info.address), info.port);
    req_.set_tls(info.tls);
  }

  boost::asio::awaitable<CloseMode> Run() {
    namespace asio = boost::asio;
    namespace bhttp = boost::beast::http;
    auto& tcp = boost::beast::get_lowest_layer(stream_);
    bool first = true;
    for (;;) {
      // Wait for the next request's first byte: the idle (keep-alive) phase.
      if (buffer_.size() == 0) {
        state_.idle.store(true, std::memory_order_relaxed);
        if (core_.stopping.load(std::memory_order_relaxed)) co_return CloseMode::kGraceful;
        tcp.expires_after(first ? opt_.header_timeout : opt_.idle_timeout);
        const size_t n = co_await stream_.async_read_some(buffer_.prepare(kReadSize), Token());
        state_.idle.store(false, std::memory_order_relaxed);
        if (ec_) co_return CloseMode::kAbort;
        buffer_.commit(n);
      }
      first = false;
      start_ = Clock::now();
      route_ = nullptr;
      req_.Clear();

      // The header block, within header_limit and header_timeout (slowloris).
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(opt_.header_limit));
      // The route's own limit applies once it is known; until then, the largest any route takes
      // (Beast checks a declared Content-Length at the end of the header).
      parser_->body_limit(core_.max_body_limit);
      tcp.expires_after(opt_.header_timeout);
      // The common case (the whole head arrived in one read) is parsed in place, without the
      // round trip through the executor that Beast's composed read takes for buffered bytes.
      if (!ParseBuffered(/*whole_message=*/false)) {
        co_await bhttp::async_read_header(stream_, buffer_, *parser_, Token());
      }
      if (ec_) {
        if (ec_ == bhttp::error::header_limit) {
          // RFC 9112 §3: 414 when the limit came before the end of the request line (Beast had
          // no target yet); RFC 6585 §5: 431 for header fields over the limit.
          if (parser_->get().target().empty())
            co_return co_await Refuse(414, "request target too long");
          co_return co_await Refuse(431, "request header too large");
        }
        if (ec_ == bhttp::error::body_limit)
          co_return co_await Refuse(413, "request body too large");
        if (IsDisconnect(ec_)) co_return CloseMode::kAbort;
        co_return co_await Refuse(400, "malformed request");
      }
      auto& msg = parser_->get();
      const Status head = FillRequestHead(msg.base(), req_);
      if (!core_.proxies.empty()) {
        forwarded_.clear();
        for (const auto& field : msg.base()) {
          if (boost::beast::iequals(field.name_string(), "x-forwarded-for"))
            forwarded_.emplace_back(field.value().data(), field.value().size());
        }
        req_.set_client_address(core_.proxies.ClientAddress(req_.peer_address(), forwarded_));
      }
      const bool keep_alive = msg.keep_alive();
      const bool body_pending = !parser_->is_done();
      Router::Match match;
      if (head.ok()) match = core_.router.Find(req_.method(), req_.path(), &req_);
      if (match.kind != Router::Match::Kind::kFound) {
        Response resp;
        if (!head.ok()) {
          resp = Response::Error(head);
        } else if (!IsKnownMethod(req_.method())) {
          // RFC 9110 §9.1, §15.6.2: a method the server does not recognise is 501.
          resp = Response::Json(
              501, {{"error", "not_implemented"}, {"error_description", "method not implemented"}});
        } else if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
          // RFC 9110 §15.5.6: 405 lists the allowed methods.
          resp = Response::Json(405, {{"error", "method_not_allowed"},
                                      {"error_description", "method not allowed for this path"}});
          resp.SetHeader("Allow", match.allow);
        } else {
          resp = Response::Error(Status::NotFound("no such resource"));
        }
        // An unread body would be taken for the next request: close instead of reading it.
        // After a malformed head, trust nothing more on this connection.
        const bool close = !head.ok() || body_pending || !keep_alive || core_.stopping.load();
        if (!co_await Send(resp, close)) co_return CloseMode::kAbort;
        if (close) co_return body_pending ? CloseMode::kLinger : CloseMode::kGraceful;
        continue;
      }
      route_ = match.route;
      req_.set_route_name(route_->name);

      if (body_pending) {
        const size_t limit =
            route_->options.body_limit ? route_->options.body_limit : opt_.body_limit;
        parser_->body_limit(limit);
        // RFC 9110 §15.5.14: 413 for content larger than the server is willing to process.
        if (const auto length = parser_->content_length(); length && *length > limit) {
          co_return co_await Refuse(413, "request body too large");
        }
        // RFC 9110 §10.1.1: a client that sent Expect: 100-continue waits for this.
        const auto expect = req_.GetHeader("expect");
        if (expect && EqualsIgnoreCase(*expect, "100-continue") && msg.version() >= 11) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          tcp.expires_after(opt_.write_timeout);
          co_await asio::async_write(stream_, asio::buffer(kContinue), Token());
          if (ec_) co_return CloseMode::kAbort;
        }
        tcp.expires_after(opt_.body_timeout);
        if (!ParseBuffered(/*whole_message=*/true)) {
          co_await bhttp::async_read(stream_, buffer_, *parser_, Token());
        }
        if (ec_) {
          if (ec_ == bhttp::error::body_limit)
            co_return co_await Refuse(413, "request body too large");
          if (IsDisconnect(ec_)) co_return CloseMode::kAbort;
          co_return co_await Refuse(400, "malformed request body");
        }
      }
      req_.set_body(std::move(msg.body()));

      Response resp;
      try {
        if (route_->handler && route_->options.blocking && core_.blocking_pool) {
          // On the blocking pool; this coroutine resumes on its own executor when it is done.
          resp = co_await asio::co_spawn(
              core_.blocking_pool->get_executor(),
              [this]() -> asio::awaitable<Response> {
                CurrentRouteScope scope(route_->name);
                co_return route_->handler(req_);
              },
              asio::use_awaitable);
        } else if (route_->handler) {
          CurrentRouteScope scope(route_->name);
          resp = route_->handler(req_);
        } else {
          resp = co_await route_->async_handler(req_);
        }
      } catch (const std::exception& e) {
        resp = Response::Error(Status::Internal(std::string("handler threw: ") + e.what()));
      } catch (...) {
        resp = Response::Error(Status::Internal("handler threw"));
      }
      const bool close = !keep_alive || core_.stopping.load();
      const bool ok = resp.event_stream() && req_.method() != "HEAD"
                          ? co_await SendEventStream(resp, close)
                          : co_await Send(resp, close);
      if (!ok) co_return CloseMode::kAbort;
      if (close) co_return CloseMode::kGraceful;
    }
  }

 private:
  static constexpr size_t kReadSize = 4096;

  auto Token() { return boost::asio::redirect_error(boost::asio::use_awaitable, ec_); }

  // Feeds buffered bytes to the parser. True when it is done (the head, or the whole message)
  // or failed (ec_ set); false when it needs bytes still to come.
  bool ParseBuffered(bool whole_message) {
    ec_ = {};
    parser_->eager(whole_message);
    for (;;) {
      const bool done = whole_message ? parser_->is_done() : parser_->is_header_done();
      if (done) return true;
      if (buffer_.size() == 0) return false;
      const size_t used = parser_->put(buffer_.data(), ec_);
      buffer_.consume(used);
      if (ec_ == boost::beast::http::error::need_more) {
        ec_ = {};
        return false;
      }
      if (ec_) return true;
    }
  }

  // The methods of RFC 9110 §9 and PATCH (RFC 5789); methods are case-sensitive (§9.1).
  static bool IsKnownMethod(std::string_view method) {
    for (std::string_view m :
         {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
      if (method == m) return true;
    }
    return false;
  }

  // Answers a request the server refuses before routing or reading it whole, then closes.
  boost::asio::awaitable<CloseMode> Refuse(int status, std::string_view description) {
    Response resp = ProtocolError(status, description);
    if (req_.request_id().empty()) req_.set_request_id(NewRequestId());
    const bool ok = co_await Send(resp, /*close=*/true);
    co_return ok ? CloseMode::kLinger : CloseMode::kAbort;
  }

  boost::asio::awaitable<bool> Send(Response& resp, bool close) {
    namespace asio = boost::asio;
    const bool head_only = req_.method() == "HEAD";
    if (!SerializeHead(resp, req_, resp.body().size(), close, /*chunked=*/false,
                       opt_.strict_transport_security, head_)) {
      resp = Response::Error(Status::Internal("handler set a malformed response header"));
      SerializeHead(resp, req_, resp.body().size(), close, false, opt_.strict_transport_security,
                    head_);
    }
    const bool with_body = !head_only && resp.status() != 204 && resp.status() != 304;
    const std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head_), with_body ? asio::buffer(resp.body()) : asio::const_buffer()};
    boost::beast::get_lowest_layer(stream_).expires_after(opt_.write_timeout);
    co_await asio::async_write(stream_, buffers, Token());
    Finish(resp);
    co_return !ec_;
  }

  // text/event-stream: headers, then one chunk per write of the producer, then the last chunk.
  boost::asio::awaitable<bool> SendEventStream(Response& resp, bool close) {
    namespace asio = boost::asio;
    if (!SerializeHead(resp, req_, 0, close, /*chunked=*/true, opt_.strict_transport_security,
                       head_)) {
      resp = Response::Error(Status::Internal("handler set a malformed response header"));
      co_return co_await Send(resp, close);
    }
    boost::beast::get_lowest_layer(stream_).expires_after(opt_.write_timeout);
    co_await asio::async_write(stream_, asio::buffer(head_), Token());
    if (ec_) {
      Finish(resp);
      co_return false;
    }
    EventStream events([this](std::string_view chunk) { return WriteChunk(chunk); },
                       &core_.stopping);
    try {
      co_await resp.event_stream()(events);
    } catch (const std::exception& e) {
      resp.set_log_detail(std::string("event stream threw: ") + e.what());
    }
    bool ok = !events.write_failed();
    if (ok) {
      // RFC 9112 §7.1: the last chunk ends the body.
      static constexpr std::string_view kLastChunk = "0\r\n\r\n";
      boost::beast::get_lowest_layer(stream_).expires_after(opt_.write_timeout);
      co_await asio::async_write(stream_, asio::buffer(kLastChunk), Token());
      ok = !ec_;
    }
    Finish(resp);
    co_return ok;
  }

  boost::asio::awaitable<bool> WriteChunk(std::string_view chunk) {
    namespace asio = boost::asio;
    if (chunk.empty()) co_return true;  // an empty chunk would end the body
    char size_line[24];
    const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    const std::array<asio::const_buffer, 3> buffers = {
        asio::buffer(size_line, static_cast<size_t>(n)), asio::buffer(chunk),
        asio::buffer("\r\n", 2)};
    boost::beast::get_lowest_layer(stream_).expires_after(opt_.write_timeout);
    co_await asio::async_write(stream_, buffers, Token());
    co_return !ec_;
  }

  void Finish(const Response& resp) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    core_.Record(core_.MetricsFor(route_), req_.method(), resp.status(), seconds);
    LogRequest(core_, req_, resp.status(), seconds, resp);
  }

  ServerCore& core_;
  const ServerOptions& opt_;
  Stream& stream_;
  ConnState& state_;
  boost::system::error_code ec_;
  boost::beast::flat_buffer buffer_;
  std::vector<std::string_view> forwarded_;  // this request's X-Forwarded-For values
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Request req_;
  std::string head_;
  const Route* route_ = nullptr;
  Clock::time_point start_;
};

}  // namespace idscheme::http

// Internal to src/http: the state a server's connections share, and the non-template helpers
// the connection coroutine (connection.h) uses for plain and TLS streams alike.
//
// Thread-safety: the atomics and the connection set (under conns_mu) are shared by every
// worker; ConnState::stream is touched only on that connection's strand.
#pragma once

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "http/metrics.h"
#include "http/proxies.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"

namespace idscheme::http {

struct TlsContext;  // tls.cc: the only place that sees OpenSSL

// One connection, as the stop logic sees it.
struct ConnState {
  boost::asio::any_io_executor executor;       // the connection's strand
  boost::beast::tcp_stream* stream = nullptr;  // null once the connection ended (strand only)
  std::atomic<bool> idle{false};               // waiting for a request's first byte
};

// Requests counted per route without a lock once warm: one slot per (method, common status).
struct RouteMetrics {
  static constexpr size_t kMethods = 8;    // GET HEAD POST PUT DELETE PATCH OPTIONS other
  static constexpr size_t kStatuses = 24;  // see StatusSlot() in server.cc
  std::string name;
  Histogram* duration = nullptr;
  std::array<std::atomic<Counter*>, kMethods * kStatuses> requests{};
};

struct ServerCore {
  ServerCore(ServerOptions opts, Router r);

  ServerOptions options;
  Router router;
  std::unique_ptr<Metrics> owned_metrics;
  Metrics* metrics = nullptr;
  Family<Counter>* requests_family = nullptr;
  Gauge* open_gauge = nullptr;
  Counter* rejected = nullptr;
  std::vector<std::unique_ptr<RouteMetrics>> route_metrics;  // by Route::index, then "unmatched"
  size_t max_body_limit = 0;                                 // the largest body any route accepts
  TrustedProxies proxies;                                    // parsed from options at Start

  std::atomic<bool> stopping{false};
  std::atomic<bool> destroying{false};
  std::atomic<int64_t> open_connections{0};
  std::mutex conns_mu;
  std::unordered_set<std::shared_ptr<ConnState>> conns;

  std::shared_ptr<TlsContext> tls;
  uint16_t port = 0;
  std::vector<std::thread> threads;
  bool started = false;

  // Destroyed in reverse: the io_objects before the io_context, the io_context (and the
  // coroutine frames it still holds) before everything above.
  std::optional<boost::asio::io_context> ioc;
  // Serialises the acceptor, the stop timer and the signal set.
  std::optional<boost::asio::strand<boost::asio::io_context::executor_type>> control;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::optional<boost::asio::steady_timer> stop_timer;
  std::optional<boost::asio::signal_set> signals;
  // RouteOptions::blocking handlers. Declared after the io_context, so destroyed (joined) before
  // it: a handler still running there reads its connection's request, which lives in a coroutine
  // frame the io_context owns.
  std::optional<boost::asio::thread_pool> blocking_pool;

  RouteMetrics& MetricsFor(const Route* route) {
    return *route_metrics[route ? route->index : route_metrics.size() - 1];
  }
  void Record(RouteMetrics& rm, std::string_view method, int status, double seconds);

  // A connection began / ended (the end may complete a graceful stop).
  void Register(const std::shared_ptr<ConnState>& conn);
  void Unregister(const std::shared_ptr<ConnState>& conn);
  // Closes connections (on their strands): only the idle ones, or all.
  void CloseConnections(bool idle_only);
  void FinishIfDrained();
};

// How a connection ends.
enum class CloseMode {
  kAbort,     // peer gone or timed out: just close
  kGraceful,  // after a response with Connection: close
  kLinger,    // after an error response while request bytes may still arrive: drain a little
};

// Writes the status line and headers of `resp` into `out`, with the defaults of response.h.
// Returns false when a header of `resp` is malformed (the caller answers 500 instead).
// `body_size` is the Content-Length (ignored when `chunked`). `hsts`: the server's
// Strict-Transport-Security value, added unless the response has one (empty: none).
bool SerializeHead(const Response& resp, const Request& req, size_t body_size, bool close,
                   bool chunked, std::string_view hsts, std::string& out);

// The response for a request the server refuses before any handler (parse errors, limits).
Response ProtocolError(int status, std::string_view description);

// The access-log line and, for 5xx, the detail line.
void LogRequest(const ServerCore& core, const Request& req, int status, double seconds,
                const Response& resp);

// Handles an accepted TLS socket (tls.cc).
void SpawnTlsConnection(ServerCore& core, boost::asio::ip::tcp::socket socket);
// Loads certificate and key (tls.cc).
Result<std::shared_ptr<TlsContext>> LoadTlsContext(const std::string& cert_file,
                                                   const std::string& key_file);

}  // namespace idscheme::http

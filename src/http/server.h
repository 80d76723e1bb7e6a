// Server: the HTTP/1.1 server every idscheme endpoint runs on (Boost.Beast, C++20 coroutines).
//
// One coroutine per connection on a strand of a shared io_context run by `worker_threads`
// threads; synchronous handlers run inline on the worker that resumed the connection. Keep-alive
// is supported, pipelining is not needed (pipelined bytes are kept and served in order).
//
// Each request goes through: limits (header 431, body 413, per-route body limit), timeouts
// (headers: a client trickling bytes is cut off header_timeout after its first byte; body;
// idle keep-alive; write), routing (404 / 405 + Allow, HEAD for GET), the handler, default
// headers (response.h), metrics (http_requests_total{route,method,status},
// http_request_duration_seconds{route}, http_open_connections,
// http_connections_rejected_total) and one JSON access-log line (method, route, status,
// duration, request id, remote address: never the query, body or Authorization).
//
// With tls_cert_file and tls_key_file set, the server speaks HTTPS only (TLS 1.2+).
//
// Stopping is graceful: stop accepting, close idle keep-alive connections, let in-flight requests
// finish (answered with Connection: close) until the deadline, then close whatever is left.
//
// Thread-safety: Start, Stop and Wait from one controlling thread; RequestStop, port, stopping
// and metrics from any thread, handlers included.
#pragma once

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/metrics.h"
#include "http/response.h"
#include "http/router.h"

namespace idscheme::http {

struct ServerOptions {
  std::string address = "127.0.0.1";  // "0.0.0.0" / "::" to listen on every interface
  uint16_t port = 0;                  // 0: pick a free port (Server::port() tells which)
  int worker_threads = 0;             // 0: std::thread::hardware_concurrency()
  // Threads for RouteOptions::blocking handlers (started only when a route has it): at most
  // this many such requests run at once, the others queue without holding a worker.
  int blocking_threads = 2;
  size_t max_connections = 10000;   // over it a new connection gets a 503 and is closed
  size_t header_limit = 16 * 1024;  // request line + headers, else 431
  size_t body_limit = 1024 * 1024;  // default per request, else 413 (RouteOptions overrides)
  // From a request's first byte to the end of its headers (also a new connection's wait for its
  // first byte, and the TLS handshake). A client sending a byte a second is cut off after it.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};   // reading the body
  std::chrono::milliseconds idle_timeout{60'000};   // between requests on a kept-alive connection
  std::chrono::milliseconds write_timeout{30'000};  // writing a response (each chunk of a stream)
  std::string tls_cert_file;                        // PEM chain; with tls_key_file: HTTPS only
  std::string tls_key_file;                         // PEM private key
  // RFC 6797: the Strict-Transport-Security value sent with every response (e.g.
  // "max-age=31536000"), for a server reached only over HTTPS; empty sends none.
  std::string strict_transport_security;
  bool access_log = true;  // one info line per request (log.h); off for benchmarks
  // Reverse proxies whose X-Forwarded-For names the client (proxies.h): addresses or networks.
  // Empty: the TCP peer is always the client.
  std::vector<std::string> trusted_proxies;
  // Where the server records its metrics; nullptr: a registry of its own (Server::metrics()).
  Metrics* metrics = nullptr;
};

struct ServerCore;

// A listening socket bound before the server that serves on it exists: a caller that must know
// the port before it builds its routes (a node on port 0 names its issuer by the port) binds
// first, then hands the socket to Server::Start. Connections that arrive in between wait in the
// backlog. Closes the socket unless a server took it.
class Listener {
 public:
  // Binds address:port (port 0: a free port) and listens. Errors: bad address, port taken.
  static Result<Listener> Bind(const std::string& address, uint16_t port);
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  ~Listener();

  uint16_t port() const { return port_; }

 private:
  friend class Server;
  Listener() = default;
  int fd_ = -1;
  bool v6_ = false;
  uint16_t port_ = 0;
};

// Whether the files of a TLS server load: both or neither given, the certificate chain and the
// key readable PEM, the key the certificate's (what Start checks first, without starting).
Status CheckTlsFiles(const std::string& cert_file, const std::string& key_file);

class Server {
 public:
  Server(ServerOptions options, Router router);
  ~Server();  // stops (deadline 1 s) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the worker threads. Errors: bad address, port taken, bad TLS files.
  Status Start();
  // Starts on a socket bound beforehand (options.address and options.port are then unused).
  Status Start(Listener listener);
  // The bound port (after Start).
  uint16_t port() const;

  // Begins a graceful stop and returns at once (safe from a handler or a signal's callback).
  void RequestStop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // Blocks until the server has stopped (never call it from a handler).
  void Wait();
  // RequestStop + Wait.
  void Stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  bool stopping() const;

  // Makes SIGTERM and SIGINT begin a graceful stop with `deadline` (call before or after Start).
  void StopOnSignals(std::chrono::milliseconds deadline = std::chrono::seconds(10));

  Metrics& metrics();
  // The io_context the connections run on: for long-poll handlers' notification sources that
  // need an executor of their own (timers, channels).
  boost::asio::io_context& io_context();

 private:
  // Accepts on `listener` and starts the worker threads (after the checks of Start).
  Status Run(Listener listener);
  std::unique_ptr<ServerCore> core_;
};

// The Prometheus text for GET /metrics (not cached).
Response MetricsResponse(const Metrics& metrics);

}  // namespace idscheme::http

// Router: maps (method, path) to a named handler.
//
// Paths are exact ("/token") or have whole-segment parameters ("/clients/{client_id}"); an exact
// path wins over a pattern, patterns are tried in the order added. A HEAD request runs the GET
// handler and the server drops the body (unless RouteOptions::get_has_effects). Unknown paths are
// 404 and a known path with another method 405 with an Allow header (RFC 9110 §15.5.6), both as
// JSON errors.
//
// Two kinds of handlers:
//   Handler       Response(Request&), run on a worker thread: the common case. It may block on
//                 the store, so keep it bounded: a graceful stop waits for it. A handler that
//                 may wait on a remote server sets RouteOptions::blocking.
//   AsyncHandler  awaitable<Response>(Request&), a coroutine on the connection's executor, for
//                 long-poll endpoints that wait on a timer or notification without holding a
//                 thread. It may co_await anything bound to that executor
//                 (co_await boost::asio::this_coro::executor gives it).
// Either can return Response::ServerSentEvents(...) to stream events (sse.h).
//
// Thread-safety: add routes before Server::Start(); afterwards Find is safe from several threads.
#pragma once

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace idscheme::http {

using Handler = std::function<Response(Request&)>;
using AsyncHandler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct RouteOptions {
  // The largest body this route accepts; 0 takes ServerOptions::body_limit.
  size_t body_limit = 0;
  // The (synchronous) handler may wait on the network for seconds, e.g. an outbound HTTPS fetch
  // of a client's sector document: it runs on the server's separate blocking pool
  // (ServerOptions::blocking_threads), so a slow or hostile remote cannot hold the worker
  // threads that serve everyone else. The connection waits for it without holding a thread.
  bool blocking = false;
  // A GET whose handler has effects a HEAD must not trigger (RFC 9110 §9.2.1: HEAD is safe), such
  // as taking a single-use request_uri: HEAD then gets 405 instead of running it. Link checkers
  // and prefetchers send HEAD.
  bool get_has_effects = false;
};

struct Route {
  std::string method;
  std::string pattern;
  std::string name;  // metrics label and access log: keep it short and fixed ("token")
  Handler handler;   // exactly one of handler / async_handler is set
  AsyncHandler async_handler;
  RouteOptions options;
  size_t index = 0;  // dense, in the order added
};

class Router {
 public:
  // Registers a handler; throws std::logic_error on a malformed pattern or a (method, pattern)
  // added twice (a start-up bug).
  Router& Add(std::string_view method, std::string_view pattern, std::string name, Handler handler,
              RouteOptions options = {});
  Router& Add(std::string_view method, std::string_view pattern, std::string name,
              AsyncHandler handler, RouteOptions options = {});

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Route* route = nullptr;  // kFound
    std::string allow;             // kMethodNotAllowed: "GET, HEAD, POST"
  };
  // Looks `path` (decoded) up for `method`; on a pattern match, adds the path parameters to
  // `request` (when not null).
  Match Find(std::string_view method, std::string_view path, Request* request) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  struct PathEntry {
    std::vector<std::string> segments;  // patterns only; "{name}" for a parameter
    std::vector<const Route*> routes;   // one per method
  };
  Router& AddRoute(std::unique_ptr<Route> route);
  Match MatchMethod(const PathEntry& entry, std::string_view method) const;

  std::vector<std::unique_ptr<Route>> routes_;
  std::unordered_map<std::string, PathEntry> exact_;
  std::vector<PathEntry> patterns_;
};

// The name of the route whose synchronous handler runs on this thread (empty outside one, and
// in asynchronous handlers, which may move between threads), so lower layers can attribute
// their work to a route in the metrics (server/instrumented_database.cc).
std::string_view CurrentRouteName();

// A number for the synchronous handler call running on this thread, new for each call (0 outside
// one, and in asynchronous handlers). Lower layers may reuse what they read from the store
// earlier in the same call (registry::Clients::FindClient): the request then sees one state of
// a record, as if its reads had all happened at the first one. Unique per thread only.
uint64_t CurrentRequestId();

// Sets CurrentRouteName() and a fresh CurrentRequestId() for its lifetime; the server wraps each
// synchronous handler call.
class CurrentRouteScope {
 public:
  explicit CurrentRouteScope(const std::string& name);
  ~CurrentRouteScope();
  CurrentRouteScope(const CurrentRouteScope&) = delete;
  CurrentRouteScope& operator=(const CurrentRouteScope&) = delete;

 private:
  const std::string* previous_;
  uint64_t previous_request_;
};

}  // namespace idscheme::http

#include "http/server.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cmath>
#include <csignal>
#include <ctime>
#include <utility>

#include "common/log.h"
#include "http/connection.h"

namespace idscheme::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

size_t MethodSlot(std::string_view m) {
  if (m == "GET") return 0;
  if (m == "HEAD") return 1;
  if (m == "POST") return 2;
  if (m == "PUT") return 3;
  if (m == "DELETE") return 4;
  if (m == "PATCH") return 5;
  if (m == "OPTIONS") return 6;
  return 7;
}

constexpr std::string_view kMethodLabels[] = {"GET",    "HEAD",  "POST",    "PUT",
                                              "DELETE", "PATCH", "OPTIONS", "other"};

// Statuses with a lock-free cached counter; others take the family's lock each time.
constexpr int kCachedStatuses[RouteMetrics::kStatuses] = {200, 201, 202, 204, 301, 302, 303, 304,
                                                          400, 401, 403, 404, 405, 408, 409, 413,
                                                          415, 429, 431, 500, 501, 502, 503, 504};

int StatusSlot(int status) {
  for (size_t i = 0; i < RouteMetrics::kStatuses; ++i) {
    if (kCachedStatuses[i] == status) return static_cast<int>(i);
  }
  return -1;
}

// RFC 9110 §5.6.7: IMF-fixdate, cached per second and per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[32];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached_second = now;
  }
  return text;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9110 §5.5: field-value = *( VCHAR / SP / HTAB / obs-text ); no CR, LF or NUL.
bool IsFieldValue(std::string_view v) {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

// Framing headers belong to the server alone.
bool IsServerOwned(std::string_view name) {
  return EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
         EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "date") ||
         EqualsIgnoreCase(name, "x-request-id");
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
}

// Writes a 503 to a connection over max_connections without waiting, then closes it.
void Reject(tcp::socket& socket) {
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: 75\r\n\r\n"
      "{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many connections\"}";
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(kBusy), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

asio::awaitable<void> ServePlain(ServerCore& core, tcp::socket socket) {
  try {
    auto state = std::make_shared<ConnState>();
    state->executor = socket.get_executor();
    boost::system::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    beast::tcp_stream stream(std::move(socket));
    ConnectionGuard guard(core, state, &stream);
    if (ec) co_return;  // the peer left already
    Connection<beast::tcp_stream> conn(core, stream, *state,
                                       {peer.address().to_string(), peer.port(), false});
    const CloseMode mode = co_await conn.Run();
    if (mode == CloseMode::kAbort) co_return;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (mode == CloseMode::kLinger) {
      // Read what the client still sends for a moment, so that closing does not reset the
      // connection before it has read our error response.
      std::array<char, 4096> scratch;
      size_t drained = 0;
      stream.expires_after(std::chrono::seconds(1));
      while (!ec && drained < 256 * 1024) {
        drained += co_await stream.async_read_some(asio::buffer(scratch),
                                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    }
  } catch (const std::exception& e) {
    log::Error("http connection failed", {{"error", e.what()}});
  }
}

asio::awaitable<void> AcceptLoop(ServerCore& core) {
  boost::system::error_code ec;
  for (;;) {
    // One worker thread is an implicit strand: skip the explicit one's cost.
    tcp::socket socket(core.options.worker_threads == 1
                           ? asio::any_io_executor(core.ioc->get_executor())
                           : asio::any_io_executor(asio::make_strand(*core.ioc)));
    co_await core.acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (core.stopping.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors or similar: say so, and breathe before trying again.
      log::Warn("http accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (core.open_connections.load() >= static_cast<int64_t>(core.options.max_connections)) {
      core.rejected->Inc();
      Reject(socket);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    core.open_connections.fetch_add(1);
    core.open_gauge->Add(1);
    if (core.tls) {
      SpawnTlsConnection(core, std::move(socket));
    } else {
      auto executor = socket.get_executor();
      asio::co_spawn(executor, ServePlain(core, std::move(socket)), asio::detached);
    }
  }
}

}  // namespace

ServerCore::ServerCore(ServerOptions opts, Router r)
    : options(std::move(opts)), router(std::move(r)) {
  if (options.metrics) {
    metrics = options.metrics;
  } else {
    owned_metrics = std::make_unique<Metrics>();
    metrics = owned_metrics.get();
  }
  requests_family = &metrics->AddCounter("http_requests_total", "HTTP requests answered.",
                                         {"route", "method", "status"});
  auto& durations = metrics->AddHistogram("http_request_duration_seconds",
                                          "Time from a request's first byte to its response.",
                                          Metrics::LatencyBuckets(), {"route"});
  open_gauge = &metrics->AddGauge("http_open_connections", "Open client connections.").Get();
  rejected = &metrics
                  ->AddCounter("http_connections_rejected_total",
                               "Connections refused because max_connections were open.")
                  .Get();
  max_body_limit = options.body_limit;
  for (const auto& route : router.routes()) {
    max_body_limit = std::max(max_body_limit, route->options.body_limit);
    auto rm = std::make_unique<RouteMetrics>();
    rm->name = route->name;
    rm->duration = &durations.WithLabels({route->name});
    route_metrics.push_back(std::move(rm));
  }
  auto unmatched = std::make_unique<RouteMetrics>();
  unmatched->name = "unmatched";
  unmatched->duration = &durations.WithLabels({"unmatched"});
  route_metrics.push_back(std::move(unmatched));

  if (options.worker_threads <= 0) {
    options.worker_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  ioc.emplace(options.worker_threads);
  control.emplace(asio::make_strand(*ioc));
}

void ServerCore::Record(RouteMetrics& rm, std::string_view method, int status, double seconds) {
  rm.duration->Observe(seconds);
  const size_t m = MethodSlot(method);
  const int s = StatusSlot(status);
  Counter* counter = nullptr;
  if (s >= 0)
    counter = rm.requests[m * RouteMetrics::kStatuses + static_cast<size_t>(s)].load(
        std::memory_order_acquire);
  if (!counter) {
    const std::string status_text = std::to_string(status);
    counter = &requests_family->WithLabels({rm.name, kMethodLabels[m], status_text});
    if (s >= 0) {
      rm.requests[m * RouteMetrics::kStatuses + static_cast<size_t>(s)].store(
          counter, std::memory_order_release);
    }
  }
  counter->Inc();
}

void ServerCore::Register(const std::shared_ptr<ConnState>& conn) {
  std::lock_guard lock(conns_mu);
  conns.insert(conn);
}

void ServerCore::Unregister(const std::shared_ptr<ConnState>& conn) {
  {
    std::lock_guard lock(conns_mu);
    conns.erase(conn);
  }
  open_gauge->Sub(1);
  open_connections.fetch_sub(1);
  FinishIfDrained();
}

void ServerCore::FinishIfDrained() {
  if (stopping.load() && !destroying.load() && open_connections.load() == 0) ioc->stop();
}

void ServerCore::CloseConnections(bool idle_only) {
  std::vector<std::shared_ptr<ConnState>> snapshot;
  {
    std::lock_guard lock(conns_mu);
    snapshot.assign(conns.begin(), conns.end());
  }
  for (auto& conn : snapshot) {
    asio::post(conn->executor, [conn, idle_only] {
      if (!conn->stream) return;
      if (idle_only && !conn->idle.load()) return;
      conn->stream->close();
    });
  }
}

bool SerializeHead(const Response& resp, const Request& req, size_t body_size, bool close,
                   bool chunked, std::string_view hsts, std::string& out) {
  out.clear();
  const int status = resp.status();
  if (status < 100 || status > 999) return false;
  out.append("HTTP/1.1 ");
  char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                  static_cast<char>('0' + status % 10), ' '};
  out.append(code, 4);
  out.append(ReasonPhrase(status));
  out.append("\r\n");
  bool has_cache_control = false;
  bool has_nosniff = false;
  bool has_hsts = false;
  for (const auto& h : resp.headers()) {
    if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), IsTokenChar) ||
        !IsFieldValue(h.value)) {
      return false;  // response splitting, or a handler's bug
    }
    if (IsServerOwned(h.name)) continue;
    if (EqualsIgnoreCase(h.name, "cache-control")) has_cache_control = true;
    if (EqualsIgnoreCase(h.name, "x-content-type-options")) has_nosniff = true;
    if (EqualsIgnoreCase(h.name, "strict-transport-security")) has_hsts = true;
    AppendHeader(out, h.name, h.value);
  }
  // RFC 6797 §7.1: on every response of a host reached over HTTPS.
  if (!hsts.empty() && !has_hsts) AppendHeader(out, "Strict-Transport-Security", hsts);
  // RFC 6749 §5.1 / RFC 9111 §5.2.2.5: nothing is cached unless the route opted in.
  if (!has_cache_control) out.append("Cache-Control: no-store\r\n");
  if (!has_nosniff) out.append("X-Content-Type-Options: nosniff\r\n");
  if (!req.request_id().empty()) AppendHeader(out, "X-Request-Id", req.request_id());
  AppendHeader(out, "Date", HttpDate());
  if (chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (status != 204 && status != 304 && status >= 200) {
    // RFC 9110 §8.6: no Content-Length in a 204.
    char len[24];
    const int n = std::snprintf(len, sizeof len, "%zu", body_size);
    AppendHeader(out, "Content-Length", std::string_view(len, static_cast<size_t>(n)));
  }
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n");
  return true;
}

Response ProtocolError(int status, std::string_view description) {
  const char* error = status >= 500 ? "server_error" : "invalid_request";
  return Response::Json(status, {{"error", error}, {"error_description", description}});
}

void LogRequest(const ServerCore& core, const Request& req, int status, double seconds,
                const Response& resp) {
  if (!resp.log_detail().empty()) {
    log::Error("http request failed", {{"request_id", req.request_id()},
                                       {"route", req.route_name()},
                                       {"detail", resp.log_detail()}});
  }
  if (!core.options.access_log || log::GetLevel() > log::Level::kInfo) return;
  // Never the query, the body or credentials: they carry secrets.
  log::Write(log::Level::kInfo, "http",
             {{"method", req.method()},
              {"route", req.route_name()},
              {"status", status},
              {"duration_ms", std::round(seconds * 1e6) / 1000.0},
              {"request_id", req.request_id()},
              {"remote", req.remote_address()}},
             log::Delivery::kBuffered);
}

Server::Server(ServerOptions options, Router router)
    : core_(std::make_unique<ServerCore>(std::move(options), std::move(router))) {}

Server::~Server() {
  auto& c = *core_;
  if (c.started) Stop(std::chrono::seconds(1));
  c.destroying.store(true);
  c.signals.reset();
  c.stop_timer.reset();
  c.acceptor.reset();
  c.control.reset();
  c.ioc.reset();  // destroys what is left of abandoned connections while core_ still lives
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), v6_(other.v6_), port_(other.port_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    v6_ = other.v6_;
    port_ = other.port_;
  }
  return *this;
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Listener> Listener::Bind(const std::string& address, uint16_t port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return Status::InvalidArgument("bad listen address: " + address);
  const tcp::endpoint endpoint(ip, port);
  asio::io_context ioc;  // only to make the socket: the server's own takes it over
  tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  Listener l;
  if (!ec) l.port_ = acceptor.local_endpoint(ec).port();
  if (!ec) l.fd_ = acceptor.release(ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                               ec.message());
  }
  l.v6_ = ip.is_v6();
  return l;
}

Status CheckTlsFiles(const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate and a key file");
  }
  if (cert_file.empty()) return Status::Ok();
  return LoadTlsContext(cert_file, key_file).status();
}

namespace {

// What Start checks and loads before it takes the port: the TLS files, the trusted proxies.
Status Prepare(ServerCore& c) {
  if (c.started) return Status::FailedPrecondition("server already started");
  const ServerOptions& o = c.options;
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate and a key file");
  }
  if (!o.tls_cert_file.empty()) {
    auto tls = LoadTlsContext(o.tls_cert_file, o.tls_key_file);
    if (!tls.ok()) return tls.status();
    c.tls = std::move(tls).value();
  }
  auto proxies = TrustedProxies::Parse(o.trusted_proxies);
  if (!proxies.ok()) return proxies.status().WithContext("trusted proxies");
  c.proxies = std::move(proxies).value();
  return Status::Ok();
}

}  // namespace

Status Server::Start() {
  IDS_RETURN_IF_ERROR(Prepare(*core_));
  IDS_ASSIGN_OR_RETURN(Listener listener,
                       Listener::Bind(core_->options.address, core_->options.port));
  return Run(std::move(listener));
}

Status Server::Start(Listener listener) {
  IDS_RETURN_IF_ERROR(Prepare(*core_));
  return Run(std::move(listener));
}

Status Server::Run(Listener listener) {
  auto& c = *core_;
  const ServerOptions& o = c.options;
  boost::system::error_code ec;
  c.acceptor.emplace(*c.control);
  c.stop_timer.emplace(*c.control);
  c.acceptor->assign(listener.v6_ ? tcp::v6() : tcp::v4(), listener.fd_, ec);
  if (ec) {
    c.acceptor.reset();
    return Status::Internal("cannot take over the listening socket: " + ec.message());
  }
  listener.fd_ = -1;  // the acceptor owns it now
  c.port = listener.port_;
  asio::co_spawn(c.acceptor->get_executor(), AcceptLoop(c), asio::detached);
  c.started = true;
  const auto& routes = c.router.routes();
  if (std::any_of(routes.begin(), routes.end(),
                  [](const auto& r) { return r->handler && r->options.blocking; }))
    c.blocking_pool.emplace(static_cast<size_t>(std::max(1, o.blocking_threads)));
  for (int i = 0; i < o.worker_threads; ++i) {
    c.threads.emplace_back([&c] {
      for (;;) {
        try {
          c.ioc->run();
          return;
        } catch (const std::exception& e) {
          log::Error("http worker caught an exception", {{"error", e.what()}});
        }
      }
    });
  }
  return Status::Ok();
}

uint16_t Server::port() const { return core_->port; }
bool Server::stopping() const { return core_->stopping.load(); }
Metrics& Server::metrics() { return *core_->metrics; }
asio::io_context& Server::io_context() { return *core_->ioc; }

void Server::RequestStop(std::chrono::milliseconds deadline) {
  ServerCore& c = *core_;
  if (!c.started || c.stopping.exchange(true)) return;
  asio::post(*c.control, [&c, deadline] {
    boost::system::error_code ec;
    c.acceptor->close(ec);
    if (c.signals) c.signals->cancel(ec);
    c.CloseConnections(/*idle_only=*/true);
    c.stop_timer->expires_after(deadline);
    c.stop_timer->async_wait([&c](boost::system::error_code wait_ec) {
      if (wait_ec) return;
      // The deadline passed: close everything, give coroutines a moment to unwind, then stop.
      c.CloseConnections(/*idle_only=*/false);
      c.stop_timer->expires_after(std::chrono::milliseconds(500));
      c.stop_timer->async_wait([&c](boost::system::error_code) { c.ioc->stop(); });
    });
    c.FinishIfDrained();
  });
}

void Server::Wait() {
  for (auto& t : core_->threads) {
    if (t.joinable()) t.join();
  }
  // A blocking handler still running ends before the server counts as stopped (the services
  // it uses may be destroyed right after).
  if (core_->blocking_pool) core_->blocking_pool->join();
}

void Server::Stop(std::chrono::milliseconds deadline) {
  RequestStop(deadline);
  Wait();
}

void Server::StopOnSignals(std::chrono::milliseconds deadline) {
  ServerCore& c = *core_;
  c.signals.emplace(*c.control, SIGTERM, SIGINT);
  c.signals->async_wait([this, deadline](boost::system::error_code ec, int signal) {
    if (ec) return;
    log::Info("http server stopping", {{"signal", signal}});
    RequestStop(deadline);
  });
}

Response MetricsResponse(const Metrics& metrics) {
  Response r(200);
  r.SetHeader("Content-Type", std::string(kPrometheusContentType));
  r.set_body(metrics.Render());
  return r;
}

}  // namespace idscheme::http

// The server over real sockets: a Server on port 0, raw TCP clients, Beast's parser to read.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <csignal>
#include <future>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "http/sse.h"

namespace idscheme::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (EqualsIgnoreCase(n, name)) return v;
    }
    return std::nullopt;
  }
};

// A blocking TCP client with deadlines on every read.
class TestConn {
 public:
  explicit TestConn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestConn() { Close(); }
  TestConn(const TestConn&) = delete;
  TestConn& operator=(const TestConn&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response, or nullopt when the connection ended or `timeout` passed first.
  std::optional<ClientResponse> Read(std::chrono::milliseconds timeout = 10s, bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    if (head) parser.skip(true);
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      if (!buffer_.empty()) {
        boost::system::error_code ec;
        const size_t used = parser.put(asio::buffer(buffer_), ec);
        buffer_.erase(0, used);
        if (ec && ec != bhttp::error::need_more) return std::nullopt;
        if (parser.is_done()) return Build(parser);
        if (!ec && used > 0) continue;
      }
      const int n = Recv(deadline);
      if (n == 0) {
        boost::system::error_code ec;
        parser.put_eof(ec);
        if (!ec && parser.is_done()) return Build(parser);
        return std::nullopt;
      }
      if (n < 0) return std::nullopt;
    }
  }

  // True when the server closes the connection (EOF or reset) within `timeout`; what it sends
  // meanwhile is dropped.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      const int n = Recv(deadline);
      if (n == 0 || n == -1) return true;
      if (n == -2) return false;
      buffer_.clear();
    }
  }

 private:
  // >0 bytes read, 0 EOF, -1 error (reset), -2 deadline passed.
  int Recv(SteadyClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return -2;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) return -2;
    if (r < 0) return -1;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return -1;
    buffer_.append(buf, static_cast<size_t>(n));
    return static_cast<int>(n);
  }

  static ClientResponse Build(bhttp::response_parser<bhttp::string_body>& parser) {
    ClientResponse r;
    auto& msg = parser.get();
    r.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) {
      r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    r.body = msg.body();
    return r;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// One sample line of the text format 0.0.4: name, optional {label="value",...}, a space, a value.
bool IsPrometheusSample(std::string_view line) {
  auto is_name = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
  };
  size_t i = 0;
  while (i < line.size() && is_name(line[i], i == 0)) ++i;
  if (i == 0) return false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t start = i;
      while (i < line.size() && line[i] != '=' && is_name(line[i], i == start)) ++i;
      if (i == start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') return false;
      i += 2;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\') {
          if (i + 1 >= line.size() ||
              std::string_view("\\\"n").find(line[i + 1]) == std::string_view::npos)
            return false;
          ++i;
        }
        ++i;
      }
      if (i >= line.size()) return false;
      ++i;  // closing quote
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return false;
  const std::string value(line.substr(i + 1));
  if (value == "+Inf" || value == "-Inf" || value == "NaN") return true;
  char* end = nullptr;
  std::strtod(value.c_str(), &end);
  return !value.empty() && end == value.c_str() + value.size();
}

std::string GetRequest(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

std::string PostRequest(std::string_view target, std::string_view content_type,
                        std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// Shared by a long-poll handler and the request that wakes it.
struct LongPoll {
  std::mutex mu;
  std::shared_ptr<asio::steady_timer> timer;
  std::promise<void> waiting;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::SetLevel(log::Level::kWarn);  // no access log noise; the access-log test turns it on
    long_poll_ = std::make_shared<LongPoll>();
    slow_release_ = slow_release_promise_.get_future().share();
    remote_release_ = remote_release_promise_.get_future().share();
  }

  void TearDown() override {
    // A blocking handler left waiting by a failed test would keep Stop waiting for it.
    try {
      remote_release_promise_.set_value();
    } catch (const std::future_error&) {
    }
    if (server_) server_->Stop(2s);
    long_poll_->timer.reset();  // bound to the server's io_context: gone before it
    server_.reset();
    log::SetLevel(log::Level::kInfo);
  }

  Router MakeRouter() {
    Router router;
    router.Add("GET", "/hello", "hello", [](Request&) {
      return Response::Json(200, {{"hello", "world"}});
    });
    router.Add("GET", "/client", "client", [](Request& r) {
      return Response::Json(200, {{"client", r.remote_address()}, {"peer", r.peer_address()}});
    });
    router.Add("GET", "/users/{id}", "user", [](Request& r) {
      return Response::Json(200, {{"id", *r.PathParam("id")}});
    });
    router.Add("POST", "/echo", "echo", [](Request& r) {
      auto body = r.JsonBody();
      if (!body.ok()) return Response::Error(body.status());
      return Response::Json(200, *body);
    });
    router.Add("POST", "/form", "form", [](Request& r) {
      auto form = r.FormBody();
      if (!form.ok()) return Response::Error(form.status());
      if (Status st = form->CheckNoDuplicates(); !st.ok()) return Response::Error(st);
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, v] : form->entries()) out[k] = v;
      return Response::Json(200, out);
    });
    router.Add(
        "POST", "/small", "small", [](Request& r) { return Response::Text(200, r.body()); },
        RouteOptions{.body_limit = 10});
    router.Add(
        "POST", "/big", "big",
        [](Request& r) { return Response::Text(200, std::to_string(r.body().size())); },
        RouteOptions{.body_limit = 5000});
    router.Add("GET", "/page", "page", [](Request&) {
      const std::vector<std::string> targets = {"https://rp.example/cb?x=1",
                                                "https://evil.example/x; script-src *"};
      return Response::Html(200, "<p>hi</p>", targets);
    });
    router.Add("GET", "/cached", "cached", [](Request&) {
      return Response::Json(200, {{"keys", nlohmann::json::array()}}).CacheFor(3600s);
    });
    router.Add("GET", "/throw", "throw",
               [](Request&) -> Response { throw std::runtime_error("secret detail"); });
    router.Add("GET", "/split", "split", [](Request&) {
      Response r = Response::Text(200, "x");
      r.SetHeader("X-Bad", "a\r\nSet-Cookie: injected=1");
      return r;
    });
    router.Add("GET", "/events", "events", [](Request&) {
      return Response::ServerSentEvents([](EventStream& events) -> asio::awaitable<void> {
        co_await events.Send("one");
        co_await events.Send("two\nlines", "update", "7");
        co_await events.Comment("ping");
      });
    });
    router.Add("GET", "/metrics", "metrics",
               [this](Request&) { return MetricsResponse(metrics_); });
    router.Add("GET", "/slow", "slow", [this](Request&) {
      slow_entered_.set_value();
      slow_release_.wait();
      return Response::Json(200, {{"done", true}});
    });
    RouteOptions blocking;
    blocking.blocking = true;
    router.Add(
        "GET", "/remote", "remote",
        [this](Request&) {
          remote_entered_.set_value();
          remote_release_.wait();
          return Response::Json(200, {{"route", std::string(CurrentRouteName())},
                                      {"request", CurrentRequestId() != 0}});
        },
        blocking);
    router.Add(
        "GET", "/remote-throw", "remote_throw",
        [](Request&) -> Response { throw std::runtime_error("secret detail"); }, blocking);
    auto lp = long_poll_;
    router.Add("GET", "/longpoll", "longpoll", [lp](Request&) -> asio::awaitable<Response> {
      auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, 30s);
      {
        std::lock_guard lock(lp->mu);
        lp->timer = timer;
      }
      lp->waiting.set_value();
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return Response::Json(200, {{"woken", ec == asio::error::operation_aborted}});
    });
    router.Add("POST", "/wake", "wake", [lp](Request&) {
      std::lock_guard lock(lp->mu);
      auto timer = lp->timer;
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
      return Response(204);
    });
    return router;
  }

  void Start(ServerOptions options = {}) {
    options.metrics = &metrics_;
    if (options.worker_threads == 0) options.worker_threads = 2;
    server_ = std::make_unique<Server>(options, MakeRouter());
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  // One worker thread: whatever else is served meanwhile did not need one.
  void StartWithOneWorker() {
    ServerOptions options;
    options.worker_threads = 1;
    Start(options);
  }

  std::optional<ClientResponse> Exchange(const std::string& request, bool head = false) {
    TestConn conn(server_->port());
    if (!conn.connected() || !conn.Send(request)) return std::nullopt;
    return conn.Read(10s, head);
  }

  double OpenConnections() { return metrics_.AddGauge("http_open_connections", "").Get().Value(); }

  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<LongPoll> long_poll_;
  std::promise<void> slow_entered_;
  std::promise<void> slow_release_promise_;
  std::shared_future<void> slow_release_;
  std::promise<void> remote_entered_;
  std::promise<void> remote_release_promise_;
  std::shared_future<void> remote_release_;
};

TEST_F(ServerTest, RoutesWithDefaultHeaders) {
  Start();
  auto r = Exchange(GetRequest("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"hello":"world"})");
  EXPECT_EQ(r->Header("content-type"), "application/json");
  EXPECT_EQ(r->Header("cache-control"), "no-store");
  EXPECT_EQ(r->Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r->Header("content-length"), "17");
  EXPECT_TRUE(r->Header("date"));
  EXPECT_EQ(r->Header("x-request-id").value_or("").size(), 32u);

  r = Exchange(GetRequest("/users/a%20b"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"id":"a b"})");
}

TEST_F(ServerTest, UnknownPathIs404WrongMethod405UnknownMethod501) {
  Start();
  auto r = Exchange(GetRequest("/nope"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "not_found");
  EXPECT_EQ(r->Header("cache-control"), "no-store");

  r = Exchange(PostRequest("/hello", "application/json", "{}"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("allow"), "GET, HEAD");

  r = Exchange("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);

  // RFC 9110 §9.1, §15.6.2: a method the server does not know at all (methods are
  // case-sensitive) is 501, on any path.
  for (const char* request :
       {"BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n", "get /hello HTTP/1.1\r\nHost: x\r\n\r\n",
        "BREW /nope HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    r = Exchange(request);
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 501) << request;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "not_implemented");
  }
}

TEST_F(ServerTest, HeadRunsGetWithoutBodyAndKeepsTheConnectionClean) {
  Start();
  TestConn conn(server_->port());
  ASSERT_TRUE(conn.Send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = conn.Read(10s, /*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "17");
  EXPECT_EQ(head->body, "");
  // Had a body been sent, it would now be read as the next response and fail to parse.
  ASSERT_TRUE(conn.Send(GetRequest("/hello")));
  auto get = conn.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, R"({"hello":"world"})");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  TestConn conn(server_->port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(conn.Send(GetRequest("/users/" + std::to_string(i))));
    auto r = conn.Read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, "{\"id\":\"" + std::to_string(i) + "\"}");
    EXPECT_FALSE(r->Header("connection"));
  }
  // Two pipelined requests in one write are answered in order.
  ASSERT_TRUE(conn.Send(GetRequest("/users/a") + GetRequest("/users/b")));
  EXPECT_EQ(conn.Read()->body, R"({"id":"a"})");
  EXPECT_EQ(conn.Read()->body, R"({"id":"b"})");
  // Connection: close is honoured.
  ASSERT_TRUE(conn.Send(GetRequest("/hello", "Connection: close\r\n")));
  auto last = conn.Read();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->Header("connection"), "close");
  EXPECT_TRUE(conn.WaitClosed(5s));
}

TEST_F(ServerTest, Http10ClosesAfterTheResponse) {
  Start();
  TestConn conn(server_->port());
  ASSERT_TRUE(conn.Send("GET /hello HTTP/1.0\r\n\r\n"));
  auto r = conn.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(conn.WaitClosed(5s));
}

TEST_F(ServerTest, RequestIdIsEchoedWhenValidAndReplacedOtherwise) {
  Start();
  auto r = Exchange(GetRequest("/hello", "X-Request-Id: abc-123\r\n"));
  EXPECT_EQ(r->Header("x-request-id"), "abc-123");
  r = Exchange(GetRequest("/hello", "X-Request-Id: bad id\"\r\n"));
  const std::string id = r->Header("x-request-id").value_or("");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(IsValidRequestId(id));
}

// Every malformed request gets a JSON 400-class answer and the connection is closed.
TEST_F(ServerTest, RejectsMalformedRequests) {
  Start();
  struct Case {
    std::string name;
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"bad request line", "GARBAGE\r\n\r\n", 400},
      {"bad version", "GET /hello HTTP/9\r\nHost: x\r\n\r\n", 400},
      {"bad header", "GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400},
      {"header without colon", "GET /hello HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400},
      {"no host", "GET /hello HTTP/1.1\r\n\r\n", 400},
      {"two hosts", "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"conflicting lengths",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"length and chunked",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"bad length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
      {"oversized header",
       "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", 431},
      {"oversized target",
       "GET /hello?q=" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
      {"bad chunk", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TestConn conn(server_->port());
    ASSERT_TRUE(conn.Send(c.request));
    auto r = conn.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status);
    EXPECT_EQ(r->Header("content-type"), "application/json");
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "invalid_request");
    EXPECT_TRUE(conn.WaitClosed(5s));
  }
}

TEST_F(ServerTest, RejectsBadTargetsAsJson) {
  Start();
  for (const char* target : {"/a%zz", "/a%2Fb", "/a/../hello", "http://x/hello"}) {
    auto r = Exchange(GetRequest(target));
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "invalid_request");
  }
}

TEST_F(ServerTest, OversizedBodiesAre413) {
  ServerOptions options;
  options.body_limit = 1000;
  Start(options);
  // Declared too large: refused before reading it.
  TestConn declared(server_->port());
  ASSERT_TRUE(
      declared.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 2000000\r\n\r\n{\"a\":"));
  auto r = declared.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(declared.WaitClosed(5s));

  // Chunked: found out while reading.
  TestConn chunked(server_->port());
  const std::string chunk(800, 'x');
  ASSERT_TRUE(
      chunked.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n320\r\n" +
                   chunk + "\r\n320\r\n" + chunk + "\r\n"));
  r = chunked.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);

  // A route's own limit (10 bytes).
  r = Exchange(PostRequest("/small", "text/plain", "0123456789"));
  EXPECT_EQ(r->status, 200);
  r = Exchange(PostRequest("/small", "text/plain", "0123456789A"));
  EXPECT_EQ(r->status, 413);
  // A route may also take more than the server's default.
  r = Exchange(PostRequest("/big", "text/plain", std::string(3000, 'b')));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "3000");
  r = Exchange(PostRequest("/big", "text/plain", std::string(5001, 'b')));
  EXPECT_EQ(r->status, 413);
  // ... which does not raise the limit of the others.
  r = Exchange(PostRequest("/echo", "application/json", std::string(3000, ' ') + "{}"));
  EXPECT_EQ(r->status, 413);
  // Under the server's limit, a chunked body is fine.
  r = Exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":1})");
}

TEST_F(ServerTest, JsonAndFormBodiesAreStrict) {
  Start();
  auto r = Exchange(PostRequest("/echo", "application/json", R"({"a":[1,2]})"));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":[1,2]})");
  for (const auto& [type, body] :
       std::vector<std::pair<std::string, std::string>>{{"application/json", "{not json"},
                                                        {"application/json", R"({"a":1,"a":2})"},
                                                        {"text/plain", "{}"}}) {
    r = Exchange(PostRequest("/echo", type, body));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "invalid_request");
  }
  r = Exchange(PostRequest("/form", "application/x-www-form-urlencoded", "a=1&b=x+y"));
  EXPECT_EQ(r->body, R"({"a":"1","b":"x y"})");
  r = Exchange(PostRequest("/form", "application/x-www-form-urlencoded", "a=1&a=2"));
  EXPECT_EQ(r->status, 400);
  r = Exchange(PostRequest("/form", "application/x-www-form-urlencoded", "a=%G0"));
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServerTest, ExpectContinueGets100First) {
  Start();
  TestConn conn(server_->port());
  ASSERT_TRUE(
      conn.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = conn.Read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(conn.Send("{}"));
  auto r = conn.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
}

TEST_F(ServerTest, HtmlGetsTheStrictBrowserHeaders) {
  Start();
  auto r = Exchange(GetRequest("/page"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8");
  // The client's redirect target is allowed for form_post; of the one that would inject, only its
  // origin.
  EXPECT_EQ(r->Header("content-security-policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self' https://rp.example/cb https://evil.example; "
            "frame-ancestors 'none'; base-uri 'none'");
  EXPECT_EQ(r->Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r->Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(r->Header("x-frame-options"), "DENY");
  EXPECT_EQ(r->Header("cache-control"), "no-store");
}

// proxies.h: only a trusted proxy's X-Forwarded-For names the client, per request.
TEST_F(ServerTest, ATrustedProxyNamesTheClient) {
  auto client_of = [this](const std::string& forwarded) {
    TestConn conn(server_->port());
    std::string request = "GET /client HTTP/1.1\r\nHost: x\r\n";
    if (!forwarded.empty()) request += "X-Forwarded-For: " + forwarded + "\r\n";
    EXPECT_TRUE(conn.Send(request + "\r\n"));
    auto r = conn.Read();
    EXPECT_TRUE(r);
    return r ? nlohmann::json::parse(r->body) : nlohmann::json();
  };
  Start();  // no trusted proxies: the header is ignored
  EXPECT_EQ(client_of("203.0.113.9")["client"], "127.0.0.1");
  server_.reset();
  ServerOptions options;
  options.trusted_proxies = {"127.0.0.0/8"};
  Start(options);
  auto behind = client_of("198.51.100.1, 203.0.113.9");
  EXPECT_EQ(behind["client"], "203.0.113.9");
  EXPECT_EQ(behind["peer"], "127.0.0.1");
  EXPECT_EQ(client_of("")["client"], "127.0.0.1");
  // Two requests on one connection: the second has no header, so no client from the first.
  TestConn conn(server_->port());
  ASSERT_TRUE(
      conn.Send("GET /client HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
                "GET /client HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = conn.Read();
  auto second = conn.Read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(nlohmann::json::parse(first->body)["client"], "203.0.113.9");
  EXPECT_EQ(nlohmann::json::parse(second->body)["client"], "127.0.0.1");
  server_.reset();
  ServerOptions bad;
  bad.trusted_proxies = {"proxy.example"};
  Server refused(bad, Router());
  EXPECT_FALSE(refused.Start().ok());
}

TEST_F(ServerTest, RoutesMayOptIntoCaching) {
  Start();
  auto r = Exchange(GetRequest("/cached"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("cache-control"), "public, max-age=3600");
}

TEST_F(ServerTest, HandlerExceptionsAndBadHeadersBecomeGeneric500s) {
  Start();
  TestConn conn(server_->port());
  ASSERT_TRUE(conn.Send(GetRequest("/throw")));
  auto r = conn.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("secret"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "server_error");
  // The connection survives a 500.
  ASSERT_TRUE(conn.Send(GetRequest("/split")));
  r = conn.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->Header("set-cookie"));
  EXPECT_FALSE(r->Header("x-bad"));
}

TEST_F(ServerTest, StreamsServerSentEvents) {
  Start();
  TestConn conn(server_->port());
  ASSERT_TRUE(conn.Send(GetRequest("/events")));
  auto r = conn.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), "text/event-stream");
  EXPECT_EQ(r->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->Header("cache-control"), "no-store");
  EXPECT_EQ(r->body, "data: one\n\nevent: update\nid: 7\ndata: two\ndata: lines\n\n: ping\n\n");
  ASSERT_TRUE(conn.Send(GetRequest("/hello")));
  EXPECT_EQ(conn.Read()->status, 200);
}

TEST(FormatEvent, RefusesFieldsThatWouldSplitEvents) {
  EXPECT_EQ(FormatEvent("a\r\nb", "", ""), "data: a\ndata: b\n\n");
  EXPECT_EQ(FormatEvent("x", "a\nb", ""), "");
  EXPECT_EQ(FormatEvent("x", "", "1\r"), "");
}

// A long-poll coroutine waits without holding the only worker thread.
TEST_F(ServerTest, CoroutineHandlersWaitWithoutHoldingAThread) {
  StartWithOneWorker();
  TestConn waiter(server_->port());
  ASSERT_TRUE(waiter.Send(GetRequest("/longpoll")));
  long_poll_->waiting.get_future().wait();
  // The wake-up request runs on the same single thread.
  auto woke = Exchange(PostRequest("/wake", "text/plain", ""));
  ASSERT_TRUE(woke);
  EXPECT_EQ(woke->status, 204);
  auto r = waiter.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"woken":true})");
}

// A client trickling its request (slowloris) is cut off after header_timeout, while another
// client is served meanwhile by the single worker thread.
TEST_F(ServerTest, SlowClientIsCutOffWhileOthersAreServed) {
  ServerOptions options;
  options.worker_threads = 1;
  options.header_timeout = 300ms;
  Start(options);
  const uint16_t port = server_->port();

  std::atomic<int> sent{0};
  std::atomic<bool> slow_closed{false};
  std::chrono::milliseconds slow_lifetime{0};
  const std::string request = GetRequest("/hello", "X-Padding: " + std::string(60, 'p') + "\r\n");
  std::thread slow([&] {
    TestConn conn(port);
    const auto start = SteadyClock::now();
    for (char c : request) {
      if (!conn.Send(std::string_view(&c, 1))) break;
      sent.fetch_add(1);
      // One byte every 50 ms; stop as soon as the server hangs up.
      if (conn.WaitClosed(50ms)) break;
    }
    slow_lifetime =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
    slow_closed = true;
  });
  while (sent.load() < 2) std::this_thread::yield();
  for (int i = 0; i < 3; ++i) {
    auto r = Exchange(GetRequest("/hello"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_FALSE(slow_closed.load()) << "the slow client should still be trickling";
  slow.join();
  EXPECT_LT(static_cast<size_t>(sent.load()), request.size()) << "it was never cut off";
  EXPECT_GE(slow_lifetime, 250ms);
  EXPECT_LT(slow_lifetime, 5000ms);
}

TEST_F(ServerTest, IdleKeepAliveConnectionsAreClosed) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  Start(options);
  TestConn conn(server_->port());
  ASSERT_TRUE(conn.Send(GetRequest("/hello")));
  ASSERT_TRUE(conn.Read());
  EXPECT_TRUE(conn.WaitClosed(5s));
}

TEST_F(ServerTest, ConnectionsOverTheLimitGet503) {
  ServerOptions options;
  options.max_connections = 2;
  Start(options);
  TestConn a(server_->port());
  TestConn b(server_->port());
  ASSERT_TRUE(a.Send(GetRequest("/hello")));
  ASSERT_TRUE(a.Read());
  ASSERT_TRUE(b.Send(GetRequest("/hello")));
  ASSERT_TRUE(b.Read());

  TestConn c(server_->port());
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(c.WaitClosed(5s));
  EXPECT_EQ(metrics_.AddCounter("http_connections_rejected_total", "").Get().Value(), 1u);

  a.Close();
  const auto deadline = SteadyClock::now() + 5s;
  while (OpenConnections() > 1 && SteadyClock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(OpenConnections(), 1);
  auto d = Exchange(GetRequest("/hello"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 200);
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequests) {
  Start();
  const uint16_t port = server_->port();
  TestConn idle(port);
  ASSERT_TRUE(idle.Send(GetRequest("/hello")));
  ASSERT_TRUE(idle.Read());
  TestConn busy(port);
  ASSERT_TRUE(busy.Send(GetRequest("/slow")));
  slow_entered_.get_future().wait();

  std::thread stopper([&] { server_->Stop(10s); });
  // Idle keep-alive connections are closed at once; the in-flight request carries on.
  EXPECT_TRUE(idle.WaitClosed(5s));
  EXPECT_TRUE(server_->stopping());
  slow_release_promise_.set_value();
  auto r = busy.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"done":true})");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed(5s));
  stopper.join();
  TestConn late(port);
  EXPECT_FALSE(late.connected());
}

// A handler marked blocking (one that waits on a remote server) runs on the blocking pool: while
// it waits, the single worker thread serves others; its answer, route name and request id are
// those of a normal handler, and its exceptions the same generic 500.
TEST_F(ServerTest, BlockingHandlersLeaveTheWorkersFree) {
  StartWithOneWorker();
  TestConn waiting(server_->port());
  ASSERT_TRUE(waiting.Send(GetRequest("/remote")));
  remote_entered_.get_future().wait();
  auto other = Exchange(GetRequest("/hello"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  remote_release_promise_.set_value();
  auto r = waiting.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"request":true,"route":"remote"})");
  auto thrown = Exchange(GetRequest("/remote-throw"));
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->body.find("secret detail"), std::string::npos);
}

// A graceful stop waits for a blocking handler in flight, as for any other.
TEST_F(ServerTest, GracefulStopFinishesBlockingHandlers) {
  Start();
  TestConn busy(server_->port());
  ASSERT_TRUE(busy.Send(GetRequest("/remote")));
  remote_entered_.get_future().wait();
  std::thread stopper([&] { server_->Stop(10s); });
  remote_release_promise_.set_value();
  auto r = busy.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  stopper.join();
}

TEST_F(ServerTest, StopClosesWhatOutlivesTheDeadline) {
  Start();
  TestConn waiter(server_->port());
  ASSERT_TRUE(waiter.Send(GetRequest("/longpoll")));
  long_poll_->waiting.get_future().wait();
  const auto start = SteadyClock::now();
  server_->Stop(200ms);
  EXPECT_LT(SteadyClock::now() - start, 5s);
  EXPECT_TRUE(waiter.WaitClosed(5s));
}

TEST_F(ServerTest, SignalsStopTheServer) {
  Start();
  server_->StopOnSignals(1s);
  std::raise(SIGTERM);
  server_->Wait();
  EXPECT_TRUE(server_->stopping());
}

TEST_F(ServerTest, MetricsAreParseableAndCount) {
  Start();
  TestConn conn(server_->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn.Send(GetRequest("/hello")));
    ASSERT_TRUE(conn.Read());
  }
  ASSERT_TRUE(conn.Send(GetRequest("/nope")));
  ASSERT_TRUE(conn.Read());
  ASSERT_TRUE(conn.Send(GetRequest("/metrics")));
  auto r = conn.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");

  std::istringstream lines(r->body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0) {
      EXPECT_TRUE(line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) << line;
    } else {
      EXPECT_TRUE(IsPrometheusSample(line)) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 10);
  // The checker itself can fail.
  EXPECT_TRUE(IsPrometheusSample(R"(x{a="b\"c",d="e"} 1.5)"));
  EXPECT_FALSE(IsPrometheusSample("bad line"));
  EXPECT_FALSE(IsPrometheusSample(R"(x{a="b} 1)"));
  EXPECT_FALSE(IsPrometheusSample("x 1z"));
  EXPECT_NE(r->body.find("http_requests_total{route=\"hello\",method=\"GET\",status=\"200\"} 3\n"),
            std::string::npos);
  EXPECT_NE(
      r->body.find("http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"),
      std::string::npos);
  EXPECT_NE(r->body.find("http_request_duration_seconds_count{route=\"hello\"} 3\n"),
            std::string::npos);
  EXPECT_NE(r->body.find("# TYPE http_open_connections gauge\nhttp_open_connections 1\n"),
            std::string::npos);
}

TEST_F(ServerTest, AccessLogNamesTheRouteButNoSecrets) {
  std::ostringstream out;
  log::SetStream(&out);
  log::SetLevel(log::Level::kInfo);
  Start();
  auto r = Exchange(GetRequest("/users/42?code=SECRETCODE",
                               "Authorization: Bearer SECRETTOKEN\r\nX-Request-Id: rid-1\r\n"));
  ASSERT_TRUE(r);
  server_->Stop(2s);  // every log line is written once the workers are gone
  log::SetStream(nullptr);
  const std::string text = out.str();
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  const auto line = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(line["msg"], "http");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["route"], "user");
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["request_id"], "rid-1");
  EXPECT_EQ(line["remote"], "127.0.0.1");
  EXPECT_TRUE(line["duration_ms"].is_number());
}

TEST(ServerStart, ReportsBadConfiguration) {
  Router router;
  router.Add("GET", "/", "root", [](Request&) { return Response(204); });
  ServerOptions bad_address;
  bad_address.address = "not-an-ip";
  EXPECT_FALSE(Server(bad_address, Router()).Start().ok());

  ServerOptions half_tls;
  half_tls.tls_cert_file = "cert.pem";
  EXPECT_FALSE(Server(half_tls, Router()).Start().ok());

  Server first(ServerOptions{}, std::move(router));
  ASSERT_TRUE(first.Start().ok());
  EXPECT_FALSE(first.Start().ok());
  ServerOptions same_port;
  same_port.port = first.port();
  EXPECT_FALSE(Server(same_port, Router()).Start().ok());
}

}  // namespace
}  // namespace idscheme::http

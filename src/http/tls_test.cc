// HTTPS: a Server with the test certificate (testdata/), a Beast TLS client that verifies it.
// Named tls* because it, like tls.cc, may see OpenSSL (through Asio's ssl).
// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdlib>
#include <fstream>

#include "http/server.h"

namespace idscheme::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using namespace std::chrono_literals;

std::string TestData(const std::string& name) {
  const char* root = std::getenv("IDSCHEME_SOURCE_DIR");
  return std::string(root ? root : ".") + "/src/http/testdata/" + name;
}

struct Fetched {
  int status;
  std::string body;
  std::string request_id;
  std::string hsts;  // Strict-Transport-Security
};

asio::awaitable<void> FetchOverTls(uint16_t port, ssl::context& ctx,
                                   std::vector<std::string> targets, std::vector<Fetched>& out) {
  auto executor = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).expires_after(10s);
  co_await beast::get_lowest_layer(stream).async_connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  beast::flat_buffer buffer;
  for (const auto& target : targets) {
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "localhost");
    co_await bhttp::async_write(stream, req, asio::use_awaitable);
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(stream, buffer, res, asio::use_awaitable);
    out.push_back({static_cast<int>(res.result_int()), res.body(), std::string(res["X-Request-Id"]),
                   std::string(res["Strict-Transport-Security"])});
  }
  boost::system::error_code ec;
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Router router;
    router.Add("GET", "/hello", "hello", [](Request& r) {
      return Response::Json(200, {{"tls", r.is_tls()}});
    });
    ServerOptions options;
    options.tls_cert_file = TestData("test_cert.pem");
    options.tls_key_file = TestData("test_key.pem");
    options.strict_transport_security = "max-age=31536000";
    options.worker_threads = 2;
    options.header_timeout = 2s;
    server_ = std::make_unique<Server>(options, std::move(router));
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void TearDown() override { server_->Stop(2s); }

  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, ServesHttpsWithKeepAlive) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(TestData("test_cert.pem"));
  ctx.set_verify_mode(ssl::verify_peer);
  asio::io_context ioc;
  std::vector<Fetched> got;
  std::exception_ptr failure;
  asio::co_spawn(ioc, FetchOverTls(server_->port(), ctx, {"/hello", "/hello", "/missing"}, got),
                 [&](std::exception_ptr e) { failure = e; });
  ioc.run_for(20s);
  ASSERT_FALSE(failure);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body, R"({"tls":true})");
  EXPECT_EQ(got[1].status, 200);
  EXPECT_NE(got[0].request_id, got[1].request_id);
  EXPECT_EQ(got[2].status, 404);
  for (const auto& f : got) EXPECT_EQ(f.hsts, "max-age=31536000");  // RFC 6797 §7.1
}

TEST_F(TlsTest, ClientThatDoesNotTrustTheCertificateFails) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);  // no trust anchors: the self-signed cert must fail
  asio::io_context ioc;
  std::vector<Fetched> got;
  std::exception_ptr failure;
  asio::co_spawn(ioc, FetchOverTls(server_->port(), ctx, {"/hello"}, got),
                 [&](std::exception_ptr e) { failure = e; });
  ioc.run_for(20s);
  EXPECT_TRUE(failure);
  EXPECT_TRUE(got.empty());
}

TEST_F(TlsTest, PlainHttpGetsNoHttpAnswer) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string received;
  boost::system::error_code ec;
  char buf[1024];
  // The handshake fails and the server closes (an alert, at most; never an HTTP response).
  while (!ec) {
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    received.append(buf, n);
  }
  EXPECT_EQ(received.find("HTTP/1.1"), std::string::npos);
}

TEST(TlsConfig, BadFilesFailAtStart) {
  ServerOptions missing;
  missing.tls_cert_file = TestData("no_such_cert.pem");
  missing.tls_key_file = TestData("test_key.pem");
  Status gone = Server(missing, Router()).Start();
  ASSERT_FALSE(gone.ok());
  // Named with the system's reason, not asio's "asio.ssl error".
  EXPECT_NE(gone.message().find("TLS certificate " + missing.tls_cert_file +
                                ": No such file or directory"),
            std::string::npos)
      << gone.message();
  // What Start refuses, CheckTlsFiles finds without starting anything.
  EXPECT_EQ(CheckTlsFiles(missing.tls_cert_file, missing.tls_key_file).message(), gone.message());
  EXPECT_TRUE(CheckTlsFiles(TestData("test_cert.pem"), TestData("test_key.pem")).ok());
  EXPECT_FALSE(CheckTlsFiles(TestData("test_cert.pem"), "").ok());

  const std::string not_pem = ::testing::TempDir() + "/not_pem.txt";
  std::ofstream(not_pem) << "not a key";
  ServerOptions bad_key;
  bad_key.tls_cert_file = TestData("test_cert.pem");
  bad_key.tls_key_file = not_pem;
  Status st = Server(bad_key, Router()).Start();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace idscheme::http

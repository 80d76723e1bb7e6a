// The fetcher of jwks_uri and sector_identifier_uri against real local servers: plain HTTP on
// loopback, HTTPS with the test certificate (src/http/testdata), limits and time-outs.
#include "oauth/https_fetch.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/server.h"

namespace idscheme::oauth {
namespace {

std::string TestData(const char* name) {
  return std::string(IDSCHEME_HTTP_TESTDATA_DIR) + "/" + name;
}

std::unique_ptr<http::Server> StartServer(bool tls, std::string address = "127.0.0.1",
                                          std::string body = R"({"keys":[]})") {
  http::Router router;
  router.Add("GET", "/jwks", "jwks", [body](http::Request&) {
    auto r = http::Response::JsonText(200, body);
    r.CacheFor(std::chrono::seconds(120));
    return r;
  });
  router.Add("GET", "/missing", "missing",
             [](http::Request&) { return http::Response::Text(404, "no"); });
  http::ServerOptions options;
  options.address = std::move(address);
  options.worker_threads = 1;
  options.access_log = false;
  if (tls) {
    options.tls_cert_file = TestData("test_cert.pem");
    options.tls_key_file = TestData("test_key.pem");
  }
  auto server = std::make_unique<http::Server>(options, std::move(router));
  Status s = server->Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return server;
}

TEST(FetchUrlTest, ParsesWhatItShould) {
  auto u = ParseFetchUrl("https://Client.Example:8443/keys?v=1", false);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "client.example");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/keys?v=1");
  u = ParseFetchUrl("https://client.example", false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/");
  u = ParseFetchUrl("https://[::1]:9/x", false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  u = ParseFetchUrl("http://127.0.0.1:80/x", true);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->tls);
}

TEST(FetchUrlTest, Rejections) {
  for (const char* bad :
       {"http://client.example/x", "ftp://x/", "https://", "https:///x", "https://u@host/",
        "https://host/#frag", "https://host:0/", "https://host:65536/", "https://host:/",
        "https://host:12a/", "https://ho st/", "https://host/a b", "https://[::1/", "https://[zz]/",
        "https://ho_st/", "HTTPS://host/", "https://host/\x7f"}) {
    EXPECT_FALSE(ParseFetchUrl(bad, false).ok()) << bad;
  }
  EXPECT_FALSE(ParseFetchUrl("https://h/" + std::string(3000, 'a'), false).ok());
}

TEST(HttpsFetchTest, PlainHttpToLoopbackWhenAllowed) {
  auto server = StartServer(false);
  FetchOptions options;
  options.allow_loopback_http = true;
  HttpsFetcher fetcher(options);
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  auto r = fetcher.Get(base + "/jwks");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"keys":[]})");
  EXPECT_EQ(r->cache_control, "public, max-age=120");
  EXPECT_EQ(fetcher.Get(base + "/missing")->status, 404);
  // localhost resolves to loopback too.
  auto l = fetcher.Get("http://localhost:" + std::to_string(server->port()) + "/jwks");
  EXPECT_TRUE(l.ok()) << l.status().ToString();
}

// GetBody, for documents that are there or not (sector_identifier_uri): only a 200's body.
TEST(HttpsFetchTest, GetBodyIsTheBodyOfA200AndAnErrorOtherwise) {
  auto server = StartServer(false);
  FetchOptions options;
  options.allow_loopback_http = true;
  HttpsFetcher fetcher(options);
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  auto body = fetcher.GetBody(base + "/jwks");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, R"({"keys":[]})");
  auto missing = fetcher.GetBody(base + "/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(missing.status().message(), "fetch: HTTP 404");
  // Failures of Get come through unchanged.
  HttpsFetcher strict;
  EXPECT_EQ(strict.GetBody(base + "/jwks").status().code(), Status::Code::kInvalidArgument);
}

TEST(HttpsFetchTest, PlainHttpRefusedByDefaultAndBeyondLoopback) {
  auto server = StartServer(false);
  HttpsFetcher strict;
  auto r = strict.Get("http://127.0.0.1:" + std::to_string(server->port()) + "/jwks");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  FetchOptions options;
  options.allow_loopback_http = true;
  HttpsFetcher loopback(options);
  // A documentation address (RFC 5737): refused after resolving, before any packet is sent.
  auto far = loopback.Get("http://192.0.2.1/jwks");
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.status().code(), Status::Code::kInvalidArgument) << far.status().ToString();
}

TEST(HttpsFetchTest, HttpsWithTrustedCertificateAndMatchingName) {
  auto server = StartServer(true);
  FetchOptions options;
  options.extra_ca_file = TestData("test_cert.pem");
  HttpsFetcher fetcher(options);
  const std::string port = std::to_string(server->port());
  auto by_name = fetcher.Get("https://localhost:" + port + "/jwks");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(by_name->status, 200);
  auto by_ip = fetcher.Get("https://127.0.0.1:" + port + "/jwks");
  ASSERT_TRUE(by_ip.ok()) << by_ip.status().ToString();
}

TEST(HttpsFetchTest, HttpsRefusesAnUntrustedCertificate) {
  auto server = StartServer(true);
  HttpsFetcher fetcher;  // the system's trust store only
  auto r = fetcher.Get("https://localhost:" + std::to_string(server->port()) + "/jwks");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("TLS handshake"), std::string::npos) << r.status().message();
}

TEST(HttpsFetchTest, HttpsRefusesACertificateForAnotherHost) {
  // The certificate names localhost and 127.0.0.1; a server on 127.0.0.2 presenting it fails.
  auto server = StartServer(true, "127.0.0.2");
  FetchOptions options;
  options.extra_ca_file = TestData("test_cert.pem");
  HttpsFetcher fetcher(options);
  auto r = fetcher.Get("https://127.0.0.2:" + std::to_string(server->port()) + "/jwks");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("TLS handshake"), std::string::npos) << r.status().message();
}

TEST(HttpsFetchTest, BodyOverTheLimitIsRefused) {
  auto server = StartServer(false, "127.0.0.1", std::string(2000, ' ') + "{}");
  FetchOptions options;
  options.allow_loopback_http = true;
  options.max_body_bytes = 1024;
  HttpsFetcher fetcher(options);
  auto r = fetcher.Get("http://127.0.0.1:" + std::to_string(server->port()) + "/jwks");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("larger than"), std::string::npos) << r.status().message();
}

TEST(HttpsFetchTest, ASilentServerTimesOut) {
  // A listening socket nobody answers on: the connection is accepted by the kernel, and no
  // response ever comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  FetchOptions options;
  options.allow_loopback_http = true;
  options.timeout = std::chrono::milliseconds(300);
  HttpsFetcher fetcher(options);
  auto start = std::chrono::steady_clock::now();
  auto r = fetcher.Get("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/jwks");
  auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_LT(took, std::chrono::seconds(3));
}

}  // namespace
}  // namespace idscheme::oauth

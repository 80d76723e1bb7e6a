// The one file of src/oauth that uses OpenSSL (through Asio's TLS stream): certificate and host
// name verification for outgoing HTTPS.
#include "oauth/https_fetch.h"

// clang-format off
// Boost 1.74's awaitable.hpp misses this include under GCC 12.
#include <utility>
// clang-format on

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <mutex>

namespace idscheme::oauth {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

Status Unavailable(std::string_view what, const beast::error_code& ec) {
  return Status::Unavailable("fetch: " + std::string(what) + ": " + ec.message());
}

template <typename Stream>
net::awaitable<void> Exchange(Stream& stream, const FetchUrl& url, size_t max_body,
                              Result<FetchResponse>* out) {
  beast::error_code ec;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.target, 11};
  const bool default_port = url.port == (url.tls ? "443" : "80");
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (!default_port) host += ":" + url.port;
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::user_agent, "idscheme");
  req.set(bhttp::field::accept, "application/jwk-set+json, application/json");
  req.set(bhttp::field::connection, "close");
  co_await bhttp::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    *out = Unavailable("write", ec);
    co_return;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(max_body);
  auto too_large = [&] {
    *out =
        Status::Unavailable("fetch: response larger than " + std::to_string(max_body) + " bytes");
  };
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    net::redirect_error(net::use_awaitable, ec));
  if (ec == bhttp::error::body_limit) {
    too_large();
    co_return;
  }
  if (ec) {
    *out = Unavailable("read", ec);
    co_return;
  }
  // A declared length over the limit is refused before any of the body is read (with Beast
  // 1.74, a single async_read let such a body through in our tests).
  if (parser.content_length() && *parser.content_length() > max_body) {
    too_large();
    co_return;
  }
  co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec == bhttp::error::body_limit) {
    too_large();
    co_return;
  }
  if (ec) {
    *out = Unavailable("read", ec);
    co_return;
  }
  auto& res = parser.get();
  if (res.body().size() > max_body) {
    too_large();
    co_return;
  }
  FetchResponse r;
  r.status = static_cast<int>(res.result_int());
  r.content_type = std::string(res[bhttp::field::content_type]);
  r.cache_control = std::string(res[bhttp::field::cache_control]);
  r.body = std::move(res.body());
  *out = std::move(r);
}

}  // namespace

struct HttpsFetcher::Tls {
  std::once_flag once;
  Status status;
  ssl::context ctx{ssl::context::tls_client};

  Status Init(const FetchOptions& options) {
    std::call_once(once, [&] {
      ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
      beast::error_code ec;
      ctx.set_default_verify_paths(ec);
      if (ec) {
        status = Status::Unavailable("fetch: cannot load the system trust store: " + ec.message());
        return;
      }
      if (!options.extra_ca_file.empty()) {
        ctx.load_verify_file(options.extra_ca_file, ec);
        if (ec) {
          status = Status::InvalidArgument("fetch: cannot load CA file " + options.extra_ca_file +
                                           ": " + ec.message());
          return;
        }
      }
      ctx.set_verify_mode(ssl::verify_peer);
    });
    return status;
  }
};

HttpsFetcher::HttpsFetcher(FetchOptions options)
    : options_(std::move(options)), tls_(std::make_unique<Tls>()) {}
HttpsFetcher::~HttpsFetcher() = default;

Result<FetchUrl> ParseFetchUrl(std::string_view url, bool allow_http) {
  auto bad = [](std::string why) { return Status::InvalidArgument("fetch URL: " + why); };
  if (url.size() > 2048) return bad("too long");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      return bad("has a space, control or non-ASCII character");
  }
  FetchUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    if (!allow_http) return bad("must be https");
    out.tls = false;
    rest = url.substr(7);
  } else {
    return bad("must be https");
  }
  if (url.find('#') != std::string_view::npos) return bad("has a fragment");
  const size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return bad("has userinfo");
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    beast::error_code ec;
    auto addr = net::ip::make_address_v6(out.host, ec);
    if (ec || out.host.find('%') != std::string::npos) return bad("bad IPv6 literal");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("junk after IPv6 literal");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
    (void)addr;
  } else {
    const size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
    for (char c : host) {
      char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (!IsHostChar(l)) return bad("bad character in host");
      out.host.push_back(l);
    }
  }
  if (out.host.empty()) return bad("no host");
  if (!port.empty()) {
    if (port.size() > 5) return bad("bad port");
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return bad("bad port");
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return bad("bad port");
    out.port = std::to_string(value);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target[0] == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

Result<FetchResponse> HttpsFetcher::Get(std::string_view url_text) const {
  IDS_ASSIGN_OR_RETURN(FetchUrl url, ParseFetchUrl(url_text, options_.allow_loopback_http));
  if (url.tls) IDS_RETURN_IF_ERROR(tls_->Init(options_));

  const auto deadline = Clock::now() + options_.timeout;
  Result<FetchResponse> result = Status::Unavailable("fetch: timed out");
  net::io_context ioc;
  ssl::context* ctx = url.tls ? &tls_->ctx : nullptr;
  const size_t max_body = options_.max_body_bytes;

  auto run = [&]() -> net::awaitable<void> {
    auto ex = co_await net::this_coro::executor;
    beast::error_code ec;
    tcp::resolver resolver(ex);
    auto endpoints = co_await resolver.async_resolve(url.host, url.port,
                                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      result = Unavailable("resolve " + url.host, ec);
      co_return;
    }
    if (!url.tls) {
      // Plain HTTP only to this machine (tests and the demo): nothing on the network can
      // read or change what is fetched.
      for (const auto& e : endpoints) {
        if (!e.endpoint().address().is_loopback()) {
          result = Status::InvalidArgument("fetch URL: plain http is allowed to loopback only");
          co_return;
        }
      }
    }
    beast::tcp_stream tcp(ex);
    tcp.expires_at(deadline);
    co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      result = Unavailable("connect", ec);
      co_return;
    }
    if (!url.tls) {
      co_await Exchange(tcp, url, max_body, &result);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *ctx);
    beast::get_lowest_layer(stream).expires_at(deadline);
    SSL* ssl_handle = stream.native_handle();
    beast::error_code ip_ec;
    net::ip::make_address(url.host, ip_ec);
    if (!ip_ec) {
      // RFC 6125 §6.2 (via RFC 9110 §4.3.4): an IP literal is checked against the IP SANs.
      if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url.host.c_str()) != 1) {
        result = Status::Internal("fetch: cannot set the expected IP address");
        co_return;
      }
    } else {
      // SNI (RFC 6066 §3) and the DNS name the certificate must carry.
      if (SSL_set_tlsext_host_name(ssl_handle, url.host.c_str()) != 1 ||
          SSL_set1_host(ssl_handle, url.host.c_str()) != 1) {
        result = Status::Internal("fetch: cannot set the expected host name");
        co_return;
      }
    }
    co_await stream.async_handshake(ssl::stream_base::client,
                                    net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      std::string reason = ec.message();
      long verify = SSL_get_verify_result(ssl_handle);
      if (verify != X509_V_OK)
        reason += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
      result = Status::Unavailable("fetch: TLS handshake: " + reason);
      co_return;
    }
    co_await Exchange(stream, url, max_body, &result);
    // The response was read whole; the connection is simply closed (Connection: close).
  };
  net::co_spawn(ioc, run, net::detached);
  ioc.run_until(deadline);
  if (!ioc.stopped()) {
    ioc.stop();
    return Status::Unavailable("fetch: timed out after " +
                               std::to_string(options_.timeout.count()) + " ms");
  }
  return result;
}

Result<std::string> HttpsFetcher::GetBody(std::string_view url) const {
  IDS_ASSIGN_OR_RETURN(FetchResponse response, Get(url));
  if (response.status != 200)
    return Status::Unavailable("fetch: HTTP " + std::to_string(response.status));
  return std::move(response.body);
}

}  // namespace idscheme::oauth

#include "app/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <charconv>

namespace idscheme::app {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

Result<HttpResult> ParseResponse(const std::string& raw) {
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return Status::Unavailable("incomplete HTTP response");
  std::string_view head(raw.data(), end);
  const size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 9) != "HTTP/1.1 " || status_line.size() < 12)
    return Status::Unavailable("not an HTTP/1.1 response");
  HttpResult out;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, out.status);
  if (ec != std::errc() || out.status < 100 || out.status > 599)
    return Status::Unavailable("bad HTTP status line");
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Status::Unavailable("bad HTTP header");
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out.headers[Lower(line.substr(0, colon))] = std::string(value);
  }
  out.body = raw.substr(end + 4);
  auto length = out.headers.find("content-length");
  if (length != out.headers.end()) {
    size_t n = 0;
    auto [q, e] =
        std::from_chars(length->second.data(), length->second.data() + length->second.size(), n);
    if (e != std::errc() || n > out.body.size()) return Status::Unavailable("truncated body");
    out.body.resize(n);
  }
  return out;
}

}  // namespace

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument(
        "--server: only http://127.0.0.1, http://[::1] or http://localhost for now");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#@ ") != std::string_view::npos)
    return Status::InvalidArgument("--server: no query, fragment, user or spaces");
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  BaseUrl out;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("--server: bad host");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':')
      return Status::InvalidArgument("--server: bad host");
    out.port = authority.empty() ? "80" : std::string(authority.substr(1));
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  }
  int port = 0;
  auto [p, ec] = std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
  if (ec != std::errc() || p != out.port.data() + out.port.size() || port < 1 || port > 65535)
    return Status::InvalidArgument("--server: bad port");
  if (!IsLoopback(out.host)) {
    return Status::InvalidArgument(
        "--server: only a loopback host over plain http for now (HTTPS is not supported yet)");
  }
  out.path = std::string(path);
  const std::string host =
      out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
  out.text = "http://" + host + (out.port == "80" ? "" : ":" + out.port) + out.path;
  return out;
}

Result<HttpResult> HttpRequest(const BaseUrl& base, std::string_view method, std::string_view path,
                               const std::map<std::string, std::string>& headers,
                               std::string_view body, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);
  std::string request = std::string(method) + " " + base.path + std::string(path) +
                        " HTTP/1.1\r\nHost: " + base.host + ":" + base.port +
                        "\r\nConnection: close\r\nAccept: application/json\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  request += body;

  std::string raw;
  boost::system::error_code failure;
  bool done = false;
  resolver.async_resolve(base.host, base.port, [&](auto ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = ec;
      return;
    }
    asio::async_connect(socket, results, [&](auto ec, const tcp::endpoint&) {
      if (ec) {
        failure = ec;
        return;
      }
      asio::async_write(socket, asio::buffer(request), [&](auto ec, size_t) {
        if (ec) {
          failure = ec;
          return;
        }
        asio::async_read(socket, asio::dynamic_buffer(raw, 4 * 1024 * 1024), [&](auto ec, size_t) {
          if (ec && ec != asio::error::eof) failure = ec;
          done = true;
        });
      });
    });
  });
  io.run_for(timeout);
  if (!done && !failure) return Status::Unavailable("the server did not answer in time");
  if (failure) return Status::Unavailable("cannot reach the server: " + failure.message());
  return ParseResponse(raw);
}

}  // namespace idscheme::app

// HTTPS: the TLS context and TLS connections. With src/crypto, the only code that sees OpenSSL
// (through Beast's ssl_stream).
// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "common/log.h"
#include "http/connection.h"

namespace idscheme::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct TlsContext {
  TlsContext() : context(ssl::context::tls_server) {}
  ssl::context context;
};

namespace {

asio::awaitable<void> ServeTls(ServerCore& core, tcp::socket socket,
                               std::shared_ptr<TlsContext> tls) {
  try {
    auto state = std::make_shared<ConnState>();
    state->executor = socket.get_executor();
    boost::system::error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls->context);
    ConnectionGuard guard(core, state, &beast::get_lowest_layer(stream));
    if (ec) co_return;
    beast::get_lowest_layer(stream).expires_after(core.options.header_timeout);
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    Connection<beast::ssl_stream<beast::tcp_stream>> conn(
        core, stream, *state, {peer.address().to_string(), peer.port(), true});
    const CloseMode mode = co_await conn.Run();
    if (mode == CloseMode::kAbort) co_return;
    // RFC 8446 §6.1: close_notify before closing; a peer that does not answer is not waited for.
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  } catch (const std::exception& e) {
    log::Error("https connection failed", {{"error", e.what()}});
  }
}

// Why `file` did not load: OpenSSL's reason, or, for a file it could not open (for which asio
// has only "asio.ssl error"), the system's.
std::string Reason(const boost::system::error_code& ec, const std::string& file) {
  if (std::FILE* f = std::fopen(file.c_str(), "r")) {
    std::fclose(f);
    return ec.message();
  }
  return std::generic_category().message(errno);
}

}  // namespace

Result<std::shared_ptr<TlsContext>> LoadTlsContext(const std::string& cert_file,
                                                   const std::string& key_file) {
  auto tls = std::make_shared<TlsContext>();
  boost::system::error_code ec;
  tls->context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                               ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                               ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                           ec);
  // RFC 9325 §3.1.1: TLS 1.2 or later only.
  if (!ec && SSL_CTX_set_min_proto_version(tls->context.native_handle(), TLS1_2_VERSION) != 1) {
    return Status::Internal("cannot require TLS 1.2");
  }
  if (!ec) tls->context.use_certificate_chain_file(cert_file, ec);
  if (ec)
    return Status::InvalidArgument("TLS certificate " + cert_file + ": " + Reason(ec, cert_file));
  tls->context.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("TLS key " + key_file + ": " + Reason(ec, key_file));
  if (SSL_CTX_check_private_key(tls->context.native_handle()) != 1) {
    return Status::InvalidArgument("TLS key does not match the certificate");
  }
  return tls;
}

void SpawnTlsConnection(ServerCore& core, tcp::socket socket) {
  auto executor = socket.get_executor();
  asio::co_spawn(executor, ServeTls(core, std::move(socket), core.tls), asio::detached);
}

}  // namespace idscheme::http

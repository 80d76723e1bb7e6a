#include "http/wire.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace idscheme::http {
namespace bhttp = boost::beast::http;

namespace {
std::string_view Sv(boost::beast::string_view s) { return {s.data(), s.size()}; }
}  // namespace

Status FillRequestHead(const bhttp::request_header<>& head, Request& req) {
  req.set_method(Sv(head.method_string()));
  for (const auto& field : head) req.AddHeader(Sv(field.name_string()), Sv(field.value()));
  const auto client_id = req.GetHeader("x-request-id");
  req.set_request_id(client_id && IsValidRequestId(*client_id) ? std::string(*client_id)
                                                               : NewRequestId());
  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host header gets a 400.
  if (head.version() >= 11 && req.HeaderCount("host") != 1) {
    return Status::OAuth("invalid_request", "an HTTP/1.1 request needs one Host header");
  }
  // RFC 9112 §6.1 / §6.3: framing that could be read two ways (request smuggling) is refused:
  // Transfer-Encoding together with Content-Length, a coding other than plain "chunked", or
  // Transfer-Encoding in HTTP/1.0.
  const size_t te = req.HeaderCount("transfer-encoding");
  if (te > 0) {
    const auto value = req.GetHeader("transfer-encoding");
    if (te > 1 || !EqualsIgnoreCase(*value, "chunked") || head.version() < 11 ||
        req.HeaderCount("content-length") > 0) {
      return Status::OAuth("invalid_request", "unsupported or ambiguous Transfer-Encoding");
    }
  }
  return req.SetTarget(Sv(head.target()));
}

Status ParseRequestBytes(std::string_view bytes, size_t header_limit, size_t body_limit,
                         Request& req) {
  req.Clear();
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
  parser.body_limit(body_limit);
  parser.eager(true);
  boost::system::error_code ec;
  while (!bytes.empty() && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == bhttp::error::need_more) {
      // An eager parser stops only when the bytes run out mid-message, and all of them are
      // here already: the message is incomplete. (Putting the rest again without new bytes
      // breaks Beast's contract and trips its assertions in the chunk parser.)
      ec = {};
      break;
    }
    if (ec) break;
  }
  if (!ec && !parser.is_done()) {
    // Beast asserts that put_eof follows at least some input: nothing at all is partial too.
    if (!parser.got_some()) return Status::OAuth("invalid_request", "malformed request: empty");
    parser.put_eof(ec);
    if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
  }
  if (ec == bhttp::error::header_limit) return Status::ResourceExhausted("header");
  if (ec == bhttp::error::body_limit) return Status::ResourceExhausted("body");
  if (ec) return Status::OAuth("invalid_request", "malformed request: " + ec.message());
  IDS_RETURN_IF_ERROR(FillRequestHead(parser.get().base(), req));
  req.set_body(std::move(parser.get().body()));
  return Status::Ok();
}

}  // namespace idscheme::http

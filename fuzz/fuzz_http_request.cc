// Fuzz target: raw bytes through Beast's request parser with the server's default limits, then
// the Request checks and every body/query parser a handler may call, then routing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/router.h"
#include "http/wire.h"

namespace {

const idscheme::http::Router& TheRouter() {
  using idscheme::http::Request;
  using idscheme::http::Response;
  static const auto* router = [] {
    auto* r = new idscheme::http::Router();
    r->Add("POST", "/token", "token", [](Request&) { return Response(200); });
    r->Add("GET", "/clients/{client_id}", "client", [](Request&) { return Response(200); });
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::http;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Request req;
  const auto status = ParseRequestBytes(bytes, 16 * 1024, 1024 * 1024, req);
  if (!status.ok()) return 0;
  // What SetTarget accepted is a decoded absolute path without NUL or dot segments.
  if (req.path().empty() || req.path().front() != '/') std::abort();
  if (req.path().find('\0') != std::string::npos) std::abort();
  (void)req.QueryParams();
  (void)req.FormBody();
  (void)req.JsonBody();
  auto match = TheRouter().Find(req.method(), req.path(), &req);
  if (match.kind == Router::Match::Kind::kFound && !match.route) std::abort();
  return 0;
}

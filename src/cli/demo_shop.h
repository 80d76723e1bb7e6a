// The demo's service provider: "Demo Web Shop", a small web page served beside the sandbox
// scheme by `idscheme demo`, so a newcomer sees the whole flow in a browser (issue 5, "For
// integrators"):
//
//   GET /demo            the shop's page: "Log in" (pairwise sub only) or "Log in and share
//                        my name, birth date and e-mail"
//   GET /demo/login      makes state, nonce and a PKCE verifier, and sends the browser to
//                        /authorize as any relying party would
//   GET /demo/callback   checks state and iss (RFC 9207), exchanges the code at the token
//                        endpoint with client_secret_basic and the verifier, calls userinfo,
//                        and shows the ID token's claims and the userinfo answer
//
// The shop calls the token and userinfo endpoints in process (the real handlers, the same
// pipeline as over the network), so the demo needs no second server and cannot deadlock a
// one-core machine calling itself. Its pending logins live in memory: a demo convenience.
//
// Thread-safety: the routes are safe from any thread.
#pragma once

#include <string>

#include "http/router.h"
#include "server/node.h"

namespace idscheme::cli {

struct DemoShopClient {
  std::string issuer;
  std::string client_id;
  std::string client_secret;
};

inline constexpr std::string_view kDemoShopPath = "/demo";

void AddDemoShopRoutes(http::Router& router, server::Node& node, DemoShopClient client);

}  // namespace idscheme::cli

#include "cli/demo_shop.h"

#include <map>
#include <memory>
#include <mutex>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/json.h"
#include "http/form.h"
#include "oidc/authorization_response.h"

namespace idscheme::cli {
namespace {

using json = nlohmann::json;
using oidc::HtmlEscape;

constexpr size_t kMaxPending = 1000;
constexpr int64_t kPendingSeconds = 900;
constexpr std::string_view kStateCookie = "demo_state";

struct Pending {
  std::string nonce;
  std::string verifier;
  int64_t created = 0;
};

struct Shop {
  // A constructor, not an aggregate: clang 14 (the fuzz build) lacks C++20's parenthesised
  // aggregate initialisation that make_shared would need.
  Shop(server::Node& n, DemoShopClient c) : node(n), client(std::move(c)) {}

  server::Node& node;
  DemoShopClient client;
  std::mutex mu;
  std::map<std::string, Pending> pending;  // by state

  std::string RedirectUri() const { return client.issuer + "/demo/callback"; }
};

http::Response Page(std::string body) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Demo Web Shop</title><link rel=\"stylesheet\" href=\"/login/assets/login.css\">"
      "</head><body><main class=\"card\"><h1>Demo Web Shop</h1>" +
      body + "<p class=\"brand\">a demo service provider beside the idscheme sandbox</p>" +
      "</main></body></html>";
  http::Response r = http::Response::Html(200, std::move(html));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response Home() {
  return Page(
      "<p>This shop is a relying party of the sandbox scheme. It logs you in with standard "
      "OpenID Connect; you approve in the idscheme app.</p>"
      "<form method=\"get\" action=\"/demo/login\"><button type=\"submit\">Log in with "
      "idscheme</button></form>"
      "<form method=\"get\" action=\"/demo/login\"><input type=\"hidden\" name=\"share\" "
      "value=\"1\"><button type=\"submit\" class=\"secondary\">Log in and share my name, birth "
      "date and e-mail</button></form>"
      "<p class=\"note\">The demo's terminal shows how to enrol the app and approve.</p>");
}

http::Response Login(Shop& shop, const http::Request& request) {
  auto query = request.QueryParams();
  const bool share = query.ok() && query->Get("share").value_or("") == "1";
  Random& random = shop.node.random();
  Pending p{random.Token(16), random.Token(32), shop.node.clock().NowSeconds()};
  const std::string state = random.Token(16);
  auto digest = crypto::Sha256(p.verifier);
  const std::string challenge =
      Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size()));
  {
    std::lock_guard lock(shop.mu);
    // Forget abandoned logins first; the map stays small.
    for (auto it = shop.pending.begin(); it != shop.pending.end();) {
      it =
          p.created - it->second.created > kPendingSeconds ? shop.pending.erase(it) : std::next(it);
    }
    if (shop.pending.size() >= kMaxPending) shop.pending.erase(shop.pending.begin());
    shop.pending[state] = p;
  }
  // The state is this browser's (a login CSRF defence, RFC 6749 §10.12): the callback must
  // come back in the browser that started the login.
  std::string url = shop.client.issuer + "/authorize?response_type=code&client_id=" +
                    http::PercentEncode(shop.client.client_id) +
                    "&redirect_uri=" + http::PercentEncode(shop.RedirectUri()) +
                    "&scope=" + http::PercentEncode(share ? "openid profile email" : "openid") +
                    "&state=" + state + "&nonce=" + p.nonce + "&code_challenge=" + challenge +
                    "&code_challenge_method=S256";
  http::Response r = http::Response::Redirect(302, url);
  r.SetHeader("Set-Cookie", std::string(kStateCookie) + "=" + state +
                                "; Path=/demo; HttpOnly; SameSite=Lax; Max-Age=" +
                                std::to_string(kPendingSeconds));
  return r;
}

// Calls one of the scheme's handlers in process, as the network would.
http::Response Call(const std::function<http::Response(http::Request&)>& handler,
                    std::string method, std::string target,
                    std::vector<std::pair<std::string, std::string>> headers,
                    std::string body = {}) {
  http::Request r;
  r.set_method(method);
  (void)r.SetTarget(target);
  for (auto& [name, value] : headers) r.AddHeader(name, value);
  r.set_body(std::move(body));
  r.set_remote("127.0.0.1", 0);
  return handler(r);
}

std::string PrettyJson(const std::string& text) {
  auto parsed = crypto::ParseJsonStrict(text);
  return HtmlEscape(parsed.ok() ? parsed->dump(2) : text);
}

http::Response Callback(Shop& shop, const http::Request& request) {
  auto query = request.QueryParams();
  if (!query.ok()) return Page("<p class=\"error\">The answer could not be read.</p>");
  // Only an answer to a login this browser started, whatever it says: nobody else's code logs
  // this browser in, and nobody else's error text is shown in the shop's name.
  const std::string state(query->Get("state").value_or(""));
  if (state.empty() || !crypto::ConstantTimeEquals(request.CookieValue(kStateCookie), state))
    return Page(
        "<p class=\"error\">This answer is not for a login started in this browser.</p>"
        "<p><a href=\"/demo\">Back to the shop</a></p>");
  if (auto error = query->Get("error")) {
    return Page("<p class=\"error\">Not logged in: <code>" + HtmlEscape(*error) + "</code> " +
                HtmlEscape(query->Get("error_description").value_or("")) +
                "</p><p><a href=\"/demo\">Back to the shop</a></p>");
  }
  Pending p;
  {
    std::lock_guard lock(shop.mu);
    auto it = shop.pending.find(state);
    if (it == shop.pending.end())
      return Page("<p class=\"error\">Unknown or used state.</p><p><a href=\"/demo\">Back</a></p>");
    p = it->second;
    shop.pending.erase(it);
  }
  // RFC 9207 §2.4: the answer must come from the issuer we sent the person to.
  if (query->Get("iss").value_or("") != shop.client.issuer)
    return Page("<p class=\"error\">The answer names another issuer.</p>");
  const std::string code(query->Get("code").value_or(""));
  const std::string basic = Base64Encode(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(
          (shop.client.client_id + ":" + shop.client.client_secret).data()),
      shop.client.client_id.size() + 1 + shop.client.client_secret.size()));
  http::Response token = Call(
      [&](http::Request& r) { return shop.node.oauth().token_endpoint().Handle(r); }, "POST",
      "/token",
      {{"Authorization", "Basic " + basic}, {"Content-Type", "application/x-www-form-urlencoded"}},
      "grant_type=authorization_code&code=" + http::PercentEncode(code) + "&redirect_uri=" +
          http::PercentEncode(shop.RedirectUri()) + "&code_verifier=" + p.verifier);
  auto tokens = crypto::ParseJsonStrict(token.body());
  if (token.status() != 200 || !tokens.ok() || !tokens->contains("id_token")) {
    return Page("<p class=\"error\">The token request failed:</p><pre>" + PrettyJson(token.body()) +
                "</pre>");
  }
  const std::string id_token = tokens->value("id_token", "");
  std::string claims_text = "(not a signed JWT)";
  {
    size_t a = id_token.find('.'), b = id_token.find('.', a + 1);
    if (a != std::string::npos && b != std::string::npos) {
      auto payload = Base64UrlDecodeToString(id_token.substr(a + 1, b - a - 1));
      if (payload.ok()) claims_text = *payload;
    }
  }
  auto id_claims = crypto::ParseJsonStrict(claims_text);
  if (!id_claims.ok() || id_claims->value("nonce", "") != p.nonce)
    return Page("<p class=\"error\">The ID token's nonce does not match.</p>");
  http::Response info =
      Call([&](http::Request& r) { return shop.node.provider().userinfo().Handle(r); }, "GET",
           "/userinfo",
           {{"Authorization",
             tokens->value("token_type", "Bearer") + " " + tokens->value("access_token", "")}});
  std::string given = "";
  auto info_json = crypto::ParseJsonStrict(info.body());
  if (info_json.ok()) given = info_json->value("given_name", "");
  return Page("<p id=\"welcome\">Welcome" + (given.empty() ? "" : ", " + HtmlEscape(given)) +
              "! You are logged in.</p>"
              "<h2>ID token claims</h2><pre id=\"id-token\">" +
              PrettyJson(claims_text) + "</pre><h2>Userinfo</h2><pre id=\"userinfo\">" +
              PrettyJson(info.body()) + "</pre><p><a href=\"/demo\">Back to the shop</a></p>");
}

}  // namespace

void AddDemoShopRoutes(http::Router& router, server::Node& node, DemoShopClient client) {
  auto shop = std::make_shared<Shop>(node, std::move(client));
  router.Add("GET", kDemoShopPath, "demo_shop", [](http::Request&) { return Home(); });
  // Each pushes a request or redeems a code: no HEAD.
  http::RouteOptions effects;
  effects.get_has_effects = true;
  router.Add(
      "GET", "/demo/login", "demo_login", [shop](http::Request& r) { return Login(*shop, r); },
      effects);
  router.Add(
      "GET", "/demo/callback", "demo_callback",
      [shop](http::Request& r) { return Callback(*shop, r); }, effects);
}

}  // namespace idscheme::cli

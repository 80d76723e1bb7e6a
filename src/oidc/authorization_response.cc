#include "oidc/authorization_response.h"

#include <algorithm>
#include <chrono>

#include "http/error_response.h"
#include "http/form.h"

namespace idscheme::oidc {
namespace {

constexpr std::string_view kScript =
    "document.addEventListener('DOMContentLoaded',function(){"
    "var f=document.getElementById('response');if(f)f.submit();});\n";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

http::Response RespondToClient(std::string_view redirect_uri, ResponseMode mode,
                               ResponseParams params, const std::optional<std::string>& state,
                               std::string_view issuer, bool after_post) {
  if (state) params.emplace_back("state", *state);
  params.emplace_back("iss", std::string(issuer));  // RFC 9207 §2
  if (mode == ResponseMode::kQuery || mode == ResponseMode::kFragment) {
    std::string location(redirect_uri);
    // RFC 6749 §3.1.2: the registered URI's query is kept; ours is appended. A registered URI
    // has no fragment (§3.1.2), so a fragment response starts one.
    char sep = mode == ResponseMode::kFragment           ? '#'
               : location.find('?') == std::string::npos ? '?'
                                                         : '&';
    for (const auto& [name, value] : params) {
      location += sep;
      location += http::PercentEncode(name);
      location += '=';
      location += http::PercentEncode(value);
      sep = '&';
    }
    return http::Response::Redirect(after_post ? 303 : 302, std::move(location));
  }
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Continue</title>"
      "<script src=\"" +
      std::string(kFormPostScriptPath) +
      "\" defer></script></head><body>"
      "<form id=\"response\" method=\"post\" action=\"" +
      HtmlEscape(redirect_uri) + "\">";
  for (const auto& [name, value] : params) {
    html += "<input type=\"hidden\" name=\"" + HtmlEscape(name) + "\" value=\"" +
            HtmlEscape(value) + "\">";
  }
  html += "<button type=\"submit\">Continue</button></form></body></html>\n";
  std::vector<std::string> targets = {std::string(redirect_uri)};
  return http::Response::Html(200, std::move(html), targets);
}

http::Response RespondWithError(const AuthorizationError& error, std::string_view issuer,
                                bool after_post) {
  if (!error.redirected()) return ErrorPage(error.error, error.description);
  ResponseParams params = {{"error", error.error}};
  // RFC 6749 §4.1.2.1: error_description within its allowed characters.
  std::string description = http::SanitizeErrorDescription(error.description);
  if (!description.empty()) params.emplace_back("error_description", std::move(description));
  return RespondToClient(error.redirect_uri, error.response_mode, std::move(params), error.state,
                         issuer, after_post);
}

http::Response ErrorPage(std::string_view error, std::string_view description, int status) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Request refused</title>"
      "</head><body><h1>This request cannot be completed</h1>"
      "<p>The service that sent you here made a request that the identity scheme refused. "
      "Go back to that service and try again; if it keeps happening, tell the service.</p>"
      "<p>Error: <code>" +
      HtmlEscape(error) + "</code></p><p>" +
      HtmlEscape(http::SanitizeErrorDescription(description)) + "</p></body></html>\n";
  return http::Response::Html(status, std::move(html));
}

http::Response RenderErrorPage(const ErrorPageRenderer& renderer, ErrorPageView view) {
  if (!renderer) return ErrorPage(view.error, view.description, view.status);
  view.description = http::SanitizeErrorDescription(view.description);
  return renderer(view);
}

ErrorPageView ErrorPageViewOf(const http::Request& request, const http::FormParams* params,
                              std::string_view error, std::string_view description, int status) {
  ErrorPageView view{std::string(error),
                     std::string(description),
                     status,
                     {},
                     std::string(request.GetHeader("Accept-Language").value_or("").substr(0, 256))};
  if (params != nullptr) {
    // Only well-formed tags; a bad ui_locales is often the very error being shown.
    if (auto locales = params->Get("ui_locales")) {
      view.ui_locales = ParseUiLocales(*locales);
    }
  }
  return view;
}

http::Response FormPostScript() {
  http::Response r(200);
  r.SetHeader("Content-Type", "text/javascript; charset=utf-8");
  r.set_body(std::string(kScript));
  r.CacheFor(std::chrono::seconds(3600));
  return r;
}

}  // namespace idscheme::oidc

// Answers from the authorization endpoint to the browser: the authorization response (or error)
// sent to the client's redirect_uri in the request's response_mode, and the error page shown when
// the redirect_uri cannot be trusted.
//
//   query      302 (303 after a POST) to redirect_uri with the parameters added to its query
//              (RFC 6749 §4.1.2; an existing query is kept, §3.1.2)
//   form_post  an HTML page with a form posting the parameters to redirect_uri (OAuth 2.0 Form
//              Post Response Mode §2). The page's CSP allows no inline script, so the form is
//              submitted by the small script served at kFormPostScriptPath (same origin); without
//              JavaScript the person presses the form's button.
// Every response carries `iss` (RFC 9207 §2), and `state` when the request had one.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/form.h"
#include "http/request.h"
#include "http/response.h"
#include "oidc/authorization_request.h"

namespace idscheme::oidc {

inline constexpr std::string_view kFormPostScriptPath = "/authorize/form_post.js";

using ResponseParams = std::vector<std::pair<std::string, std::string>>;

// Sends `params` (plus iss, and state when given) to redirect_uri. `after_post`: the request
// came as a POST (303 instead of 302).
http::Response RespondToClient(std::string_view redirect_uri, ResponseMode mode,
                               ResponseParams params, const std::optional<std::string>& state,
                               std::string_view issuer, bool after_post = false);

// An authorization error: a redirect as above, or the error page.
http::Response RespondWithError(const AuthorizationError& error, std::string_view issuer,
                                bool after_post = false);

// The page for errors that cannot go to the client (HTML, 400): plain English.
http::Response ErrorPage(std::string_view error, std::string_view description, int status = 400);

// The same page, as a node renders it (the login part's: styled, in the person's language).
struct ErrorPageView {
  std::string error;
  std::string description;
  int status = 400;
  std::vector<std::string> ui_locales;  // the request's ui_locales, when it could be read
  std::string accept_language;          // the browser's Accept-Language header
};
using ErrorPageRenderer = std::function<http::Response(const ErrorPageView&)>;
// `view` through `renderer`, or through ErrorPage when there is none.
http::Response RenderErrorPage(const ErrorPageRenderer& renderer, ErrorPageView view);
// An ErrorPageView of `request`: its Accept-Language, and the ui_locales of `params` when given
// and well-formed (ParseUiLocales).
ErrorPageView ErrorPageViewOf(const http::Request& request, const http::FormParams* params,
                              std::string_view error, std::string_view description,
                              int status = 400);

// The script that submits form_post pages (served from the binary).
http::Response FormPostScript();

// HTML-escapes text for element content and quoted attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace idscheme::oidc

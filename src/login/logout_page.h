// The page GET and POST /logout show when they do not redirect back to the service provider
// (oidc/logout.h), and the scheme's error page (oidc/authorization_response.h): "you are logged
// out", or "this request cannot be completed", in the person's language (messages.h: ui_locales,
// then Accept-Language, then English), in the login pages' style and strict CSP (pages.h).
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "http/response.h"
#include "oidc/logout.h"

namespace idscheme::login {

// The text of the page in `locale` (English when unknown).
std::string_view LoggedOutText(std::string_view locale);

// An oidc::LoggedOutPageRenderer (the node sets it as ProviderConfig::logged_out_page).
http::Response RenderLoggedOutPage(const oidc::LoggedOutPage& page);

// An oidc::ErrorPageRenderer: the scheme's page for a request it cannot answer at the client (a
// bad client_id or redirect_uri, a refused logout), in the same style and languages, with the
// error code and its description for whoever reports it to the service.
http::Response RenderSchemeErrorPage(const oidc::ErrorPageView& view);

}  // namespace idscheme::login

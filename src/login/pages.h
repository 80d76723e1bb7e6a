// The login pages (issue 4, "Web pages"): the phone-number page, the waiting page and the
// outcome pages, rendered from the binary in the person's language (messages.h).
//
// Anti-phishing by construction: no page has a field for a secret (the only input is
// `<input type="tel" name="phone">`); the waiting page shows the service provider's verified
// name and the verification code the app shows too. Every page is plain HTML with labels, a
// visible focus, a `lang` attribute and text contrast above WCAG AA; the only script and style
// sheet are served by this binary (assets below), so the strict CSP of http::Response::Html
// (no inline script or style) holds. Without JavaScript the waiting page refreshes itself and
// offers a plain link.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/response.h"

namespace idscheme::login {

inline constexpr std::string_view kLoginPrefix = "/login/";
inline constexpr std::string_view kScriptPath = "/login/assets/login.js";
inline constexpr std::string_view kStylePath = "/login/assets/login.css";

// What every page of one login knows.
struct PageContext {
  std::string locale;        // "en", "nl", "fr", "de"
  std::string session_id;    // for the form and link targets
  std::string member_name;   // the verified display name, from the registry
  std::string redirect_uri;  // a form on the page may end in a redirect there (CSP form-action)
};

struct PhonePage {
  std::vector<std::string> claims;  // catalogue names to be shared (none for a plain login)
  bool advanced = false;
  std::string phone;                 // prefilled (login_hint, or what was typed)
  std::optional<std::string> error;  // shown above the field (role=alert)
};

struct WaitingPage {
  std::string verification_code;
  bool qr = false;  // show the QR image (the app claims by scanning)
  std::vector<std::string> claims;
};

enum class Outcome { kRefused, kExpired, kLocked, kCancelled, kUnreachable };

http::Response RenderPhonePage(const PageContext& ctx, const PhonePage& page, int status = 200);
http::Response RenderWaitingPage(const PageContext& ctx, const WaitingPage& page);
http::Response RenderOutcomePage(const PageContext& ctx, Outcome outcome);
// Too many attempts (429) during a login: the message, and a way back to the service provider
// (the login ends with access_denied), so that the person is not stranded.
http::Response RenderTooManyPage(const PageContext& ctx);
// A page with only a message (the session is gone, the store unreachable), without a way back.
http::Response RenderMessagePage(std::string_view locale, std::string_view text, int status);
// The same with an error code after the text, as <code>, and a detail below it (the scheme's
// error page).
http::Response RenderMessagePage(std::string_view locale, std::string_view text,
                                 std::string_view code, std::string_view detail, int status);

// The static assets (served with a day's caching).
http::Response StyleSheet();
http::Response Script();

}  // namespace idscheme::login

#include "login/pages.h"

#include <chrono>

#include "login/messages.h"
#include "oidc/authorization_response.h"

namespace idscheme::login {
namespace {

using oidc::HtmlEscape;

std::string WithMember(std::string_view text, std::string_view member) {
  std::string out(text);
  auto at = out.find("{member}");
  if (at != std::string::npos) out.replace(at, 8, HtmlEscape(member));
  return out;
}

std::string Esc(std::string_view text) { return HtmlEscape(text); }

std::string Head(std::string_view locale, std::string_view title) {
  std::string h = "<!doctype html><html lang=\"" + Esc(locale) +
                  "\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>" +
                  (title == "idscheme" ? std::string("idscheme") : Esc(title) + " – idscheme") +
                  "</title><link rel=\"stylesheet\" href=\"" + std::string(kStylePath) + "\">";
  // The waiting page does not reload itself without JavaScript (WCAG 2.2.1, F41): its
  // "Continue" link goes on when the person is ready; with JavaScript, login.js polls.
  h += "</head><body><main class=\"card\">";
  return h;
}

std::string Tail(bool script) {
  std::string t = "<p class=\"brand\">idscheme</p></main>";
  if (script) t += "<script src=\"" + std::string(kScriptPath) + "\" defer></script>";
  t += "</body></html>";
  return t;
}

std::string SessionPath(const PageContext& ctx, std::string_view tail = {}) {
  return std::string(kLoginPrefix) + ctx.session_id + std::string(tail);
}

std::string ClaimList(std::string_view locale, const std::vector<std::string>& claims,
                      std::string_view member) {
  if (claims.empty()) return {};
  std::string s =
      "<p>" + WithMember(Text(locale, Msg::kShareWith), member) + "</p><ul class=\"claims\">";
  for (const auto& c : claims) s += "<li>" + Esc(ClaimLabel(locale, c)) + "</li>";
  return s + "</ul>";
}

std::string CancelForm(const PageContext& ctx) {
  return "<form method=\"post\" action=\"" + SessionPath(ctx, "/cancel") +
         "\"><button type=\"submit\" class=\"secondary\">" +
         std::string(Text(ctx.locale, Msg::kCancel)) + "</button></form>";
}

http::Response Page(int status, std::string html, const PageContext& ctx) {
  std::vector<std::string> targets;
  if (!ctx.redirect_uri.empty()) targets.push_back(ctx.redirect_uri);
  http::Response r = http::Response::Html(status, std::move(html), targets);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

constexpr std::string_view kCss = R"css(:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#eef1f5;color:#1a1a1a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.card{background:#fff;max-width:28rem;width:100%;margin:1rem;padding:2rem;border-radius:12px;
box-shadow:0 2px 12px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=tel]{width:100%;font-size:1.2rem;padding:.6rem;border:2px solid #555;border-radius:6px}
.hint{color:#444;font-size:.9rem;margin:.25rem 0 1rem}
button{font-size:1rem;padding:.7rem 1.2rem;border-radius:6px;border:2px solid #0b4f9c;
background:#0b4f9c;color:#fff;cursor:pointer;margin:.5rem 0;width:100%}
button.secondary{background:#fff;color:#0b4f9c}
button:focus,input:focus,a:focus{outline:3px solid #b35900;outline-offset:2px}
.error{color:#a00000;font-weight:600}
.code{font-size:3rem;font-weight:700;letter-spacing:.3rem;text-align:center;margin:.5rem 0;
color:#0b4f9c}
.qr{display:block;width:14rem;height:14rem;margin:1rem auto}
.note{color:#444;font-size:.85rem}
.brand{color:#555;font-size:.8rem;text-align:right;margin:1.5rem 0 0}
ul.claims{margin:.25rem 0 1rem;padding-left:1.25rem}
a{color:#0b4f9c}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f6f9;padding:.5rem;border-radius:6px;
font-size:.85rem}
)css";

// Polls the status of the login and follows it; refreshes the QR image. No inline script: the
// page passes its URLs in data attributes.
constexpr std::string_view kJs = R"js("use strict";
(function () {
  var main = document.querySelector("main[data-status]");
  if (!main) return;
  var statusUrl = main.getAttribute("data-status");
  var nextUrl = main.getAttribute("data-continue");
  var qr = document.getElementById("qr");
  var qrUrl = qr ? qr.getAttribute("src") : null;
  var n = 0;
  function poll() {
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { state: "gone" }; })
      .then(function (s) {
        if (s.state !== "pending") { window.location.assign(nextUrl); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  if (qr) {
    // The content changes every 5 s (a new window): fetched each second, it is never shown
    // more than a second after its window ended. Once the app has scanned it, it is gone:
    // the image is hidden rather than shown broken.
    var timer = setInterval(function () { n += 1; qr.setAttribute("src", qrUrl + "?n=" + n); }, 1000);
    qr.addEventListener("error", function () {
      clearInterval(timer);
      qr.hidden = true;
    });
  }
  setTimeout(poll, 1000);
})();
)js";

}  // namespace

http::Response RenderPhonePage(const PageContext& ctx, const PhonePage& page, int status) {
  const std::string& l = ctx.locale;
  std::string title = WithMember(Text(l, Msg::kLoginTo), ctx.member_name);
  std::string h = Head(l, ctx.member_name);
  h += "<h1>" + title + "</h1>";
  h += ClaimList(l, page.claims, ctx.member_name);
  if (page.advanced) h += "<p class=\"note\">" + std::string(Text(l, Msg::kLevelAdvanced)) + "</p>";
  h += "<form method=\"post\" action=\"" + SessionPath(ctx, "/phone") + "\">";
  if (page.error) {
    h += "<p class=\"error\" id=\"phone-error\" role=\"alert\">" + Esc(*page.error) + "</p>";
  }
  h += "<label for=\"phone\">" + std::string(Text(l, Msg::kPhoneLabel)) + "</label>";
  h += "<input type=\"tel\" name=\"phone\" id=\"phone\" autocomplete=\"tel\" inputmode=\"tel\" "
       "required maxlength=\"32\" aria-describedby=\"phone-hint" +
       std::string(page.error ? " phone-error" : "") + "\" value=\"" + Esc(page.phone) + "\"" +
       (page.error ? " aria-invalid=\"true\" autofocus" : "") + ">";
  h += "<p class=\"hint\" id=\"phone-hint\">" + std::string(Text(l, Msg::kPhoneHint)) + "</p>";
  h += "<button type=\"submit\">" + std::string(Text(l, Msg::kContinue)) + "</button></form>";
  h += "<form method=\"post\" action=\"" + SessionPath(ctx, "/qr") +
       "\"><button type=\"submit\" class=\"secondary\">" + std::string(Text(l, Msg::kUseQr)) +
       "</button></form>";
  h += CancelForm(ctx);
  h += "<p class=\"note\">" + std::string(Text(l, Msg::kNeverSecret)) + "</p>";
  h += Tail(false);
  return Page(status, std::move(h), ctx);
}

http::Response RenderWaitingPage(const PageContext& ctx, const WaitingPage& page) {
  const std::string& l = ctx.locale;
  std::string h = Head(l, ctx.member_name);
  // The script finds its URLs here.
  h.replace(h.rfind("<main class=\"card\">"), 19,
            "<main class=\"card\" data-status=\"" + SessionPath(ctx, "/status") +
                "\" data-continue=\"" + SessionPath(ctx, "/continue") + "\">");
  h += "<h1>" + WithMember(Text(l, Msg::kLoginTo), ctx.member_name) + "</h1>";
  h += ClaimList(l, page.claims, ctx.member_name);
  if (page.qr) {
    h += "<p>" + std::string(Text(l, Msg::kScanQr)) + "</p>";
    h += "<img id=\"qr\" class=\"qr\" src=\"" + SessionPath(ctx, "/qr.svg") + "\" alt=\"" +
         std::string(Text(l, Msg::kQrAlt)) + "\">";
  } else {
    h += "<p>" + std::string(Text(l, Msg::kOpenApp)) + "</p>";
  }
  h += "<p>" + std::string(Text(l, Msg::kCheckCode)) + "</p>";
  h += "<p class=\"code\" id=\"verification-code\">" + Esc(page.verification_code) + "</p>";
  h += "<p id=\"status\" role=\"status\" aria-live=\"polite\">" +
       std::string(Text(l, Msg::kWaiting)) + "</p>";
  h += "<p><a id=\"continue\" href=\"" + SessionPath(ctx, "/continue") + "\">" +
       std::string(Text(l, Msg::kNoScript)) + "</a></p>";
  h += CancelForm(ctx);
  h += Tail(true);
  return Page(200, std::move(h), ctx);
}

http::Response RenderOutcomePage(const PageContext& ctx, Outcome outcome) {
  const std::string& l = ctx.locale;
  Msg title = Msg::kRefusedTitle, text = Msg::kRefusedText;
  if (outcome == Outcome::kExpired) title = Msg::kExpiredTitle, text = Msg::kExpiredText;
  if (outcome == Outcome::kLocked) title = Msg::kLockedTitle, text = Msg::kLockedText;
  if (outcome == Outcome::kCancelled) title = Msg::kCancelledTitle, text = Msg::kCancelledText;
  if (outcome == Outcome::kUnreachable)
    title = Msg::kUnreachableTitle, text = Msg::kUnreachableText;
  std::string h = Head(l, Text(l, title));
  h += "<h1 id=\"outcome\" data-outcome=\"" +
       std::string(outcome == Outcome::kRefused       ? "refused"
                   : outcome == Outcome::kExpired     ? "expired"
                   : outcome == Outcome::kCancelled   ? "cancelled"
                   : outcome == Outcome::kUnreachable ? "unreachable"
                                                      : "locked") +
       "\">" + std::string(Text(l, title)) + "</h1>";
  h += "<p>" + std::string(Text(l, text)) + "</p>";
  h += "<form method=\"post\" action=\"" + SessionPath(ctx, "/return") +
       "\"><button type=\"submit\">" + WithMember(Text(l, Msg::kReturn), ctx.member_name) +
       "</button></form>";
  h += Tail(false);
  return Page(200, std::move(h), ctx);
}

http::Response RenderTooManyPage(const PageContext& ctx) {
  const std::string& l = ctx.locale;
  const std::string_view text = Text(l, Msg::kTooMany);
  std::string h = Head(l, text);
  h += "<h1 id=\"message\">" + Esc(text) + "</h1>";
  h += "<form method=\"post\" action=\"" + SessionPath(ctx, "/cancel") +
       "\"><button type=\"submit\">" + WithMember(Text(l, Msg::kReturn), ctx.member_name) +
       "</button></form>";
  h += Tail(false);
  return Page(429, std::move(h), ctx);
}

http::Response RenderMessagePage(std::string_view locale, std::string_view text, int status) {
  return RenderMessagePage(locale, text, "", "", status);
}

http::Response RenderMessagePage(std::string_view locale, std::string_view text,
                                 std::string_view code, std::string_view detail, int status) {
  // The message is the page's subject: its title and heading (WCAG 2.4.2, 2.4.6).
  std::string h = Head(locale, text);
  h += "<h1 id=\"message\">" + Esc(text);
  if (!code.empty()) h += " <code>" + Esc(code) + "</code>";
  h += "</h1>";
  if (!detail.empty()) h += "<p class=\"note\" id=\"detail\">" + Esc(detail) + "</p>";
  h += Tail(false);
  http::Response r = http::Response::Html(status, std::move(h));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response StyleSheet() {
  http::Response r(200);
  r.SetHeader("Content-Type", "text/css; charset=utf-8");
  r.set_body(std::string(kCss));
  r.CacheFor(std::chrono::hours(24));
  return r;
}

http::Response Script() {
  http::Response r(200);
  r.SetHeader("Content-Type", "text/javascript; charset=utf-8");
  r.set_body(std::string(kJs));
  r.CacheFor(std::chrono::hours(24));
  return r;
}

}  // namespace idscheme::login

// The page /logout shows when it does not redirect: the person's language, the login pages'
// style and CSP.
#include "login/logout_page.h"

#include <gtest/gtest.h>

#include "login/pages.h"

namespace idscheme::login {
namespace {

TEST(LoggedOutPage, SpeaksThePersonsLanguage) {
  struct Case {
    std::vector<std::string> ui_locales;
    std::string accept_language;
    std::string lang;
    std::string text_start;
  };
  const std::vector<Case> cases = {
      {{}, "", "en", "You are logged out."},
      {{"nl-BE", "en"}, "de", "nl", "U bent uitgelogd."},
      {{}, "fr-BE,fr;q=0.9,en;q=0.5", "fr", "Vous êtes déconnecté."},
      {{"xx"}, "de-AT", "de", "Sie sind abgemeldet."},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.lang);
    http::Response r = RenderLoggedOutPage({c.ui_locales, c.accept_language});
    EXPECT_EQ(r.status(), 200);
    EXPECT_NE(r.body().find("lang=\"" + c.lang + "\""), std::string::npos) << r.body();
    EXPECT_NE(r.body().find(c.text_start), std::string::npos) << r.body();
    EXPECT_EQ(LoggedOutText(c.lang).find(c.text_start), 0u);
    // The login pages' style sheet and strict CSP: no inline script or style.
    EXPECT_NE(r.body().find(kStylePath), std::string::npos);
    EXPECT_EQ(r.body().find("<script>"), std::string::npos);
    EXPECT_NE(r.GetHeader("Content-Security-Policy").value_or("").find("default-src 'none'"),
              std::string::npos);
  }
  EXPECT_EQ(LoggedOutText("es"), LoggedOutText("en"));
}

// The scheme's error page (oidc::ErrorPageRenderer): the same style and languages, the error
// code, and the description escaped.
TEST(SchemeErrorPage, SpeaksThePersonsLanguageAndNamesTheError) {
  oidc::ErrorPageView view;
  view.error = "invalid_request";
  view.description = "redirect_uri <b>not</b> registered";
  view.accept_language = "nl-NL,nl;q=0.9";
  http::Response r = RenderSchemeErrorPage(view);
  EXPECT_EQ(r.status(), 400);
  EXPECT_NE(r.body().find("lang=\"nl\""), std::string::npos) << r.body();
  EXPECT_NE(r.body().find("Dit verzoek kan niet worden voltooid"), std::string::npos);
  EXPECT_NE(r.body().find("<code>invalid_request</code>"), std::string::npos);
  EXPECT_NE(r.body().find("redirect_uri &lt;b&gt;not&lt;/b&gt; registered"), std::string::npos);
  EXPECT_NE(r.body().find(kStylePath), std::string::npos);
  view.ui_locales = {"de"};
  view.status = 503;
  http::Response de = RenderSchemeErrorPage(view);
  EXPECT_EQ(de.status(), 503);
  EXPECT_NE(de.body().find("Diese Anfrage kann nicht abgeschlossen werden"), std::string::npos);
}

}  // namespace
}  // namespace idscheme::login

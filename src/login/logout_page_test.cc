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

}  // namespace
}  // namespace idscheme::login

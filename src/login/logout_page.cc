#include "login/logout_page.h"

#include <array>
#include <string>

#include "login/messages.h"
#include "login/pages.h"

namespace idscheme::login {
namespace {

struct Translation {
  std::string_view locale;
  std::string_view text;
};

constexpr std::array<Translation, 4> kLoggedOut = {{
    {"en",
     "You are logged out. idscheme keeps no login session, so there is nothing more to do here: "
     "you can close this window."},
    {"nl",
     "U bent uitgelogd. idscheme houdt geen inlogsessie bij, dus hier hoeft u niets meer te "
     "doen: u kunt dit venster sluiten."},
    {"fr",
     "Vous êtes déconnecté. idscheme ne garde aucune session de connexion : il n'y a plus rien à "
     "faire ici, vous pouvez fermer cette fenêtre."},
    {"de",
     "Sie sind abgemeldet. idscheme führt keine Anmeldesitzung, hier ist also nichts mehr zu "
     "tun: Sie können dieses Fenster schließen."},
}};

}  // namespace

std::string_view LoggedOutText(std::string_view locale) {
  for (const auto& t : kLoggedOut) {
    if (t.locale == locale) return t.text;
  }
  return kLoggedOut[0].text;
}

http::Response RenderLoggedOutPage(const oidc::LoggedOutPage& page) {
  const std::string locale = ChooseLocale(page.ui_locales, page.accept_language);
  return RenderMessagePage(locale, LoggedOutText(locale), 200);
}

}  // namespace idscheme::login

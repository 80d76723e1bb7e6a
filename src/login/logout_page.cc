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

// What the scheme's error page says before the error code; the description stays as the
// service sent or caused it (English: it is for the service's developers).
constexpr std::array<Translation, 4> kRefusedRequest = {{
    {"en",
     "This request cannot be completed: the service that sent you here made a request the "
     "identity scheme refused. Go back to that service and try again; if it keeps happening, "
     "tell the service. Error:"},
    {"nl",
     "Dit verzoek kan niet worden voltooid: de dienst die u hierheen stuurde, deed een verzoek "
     "dat het identiteitsstelsel weigerde. Ga terug naar die dienst en probeer het opnieuw; "
     "blijft het gebeuren, meld het dan aan de dienst. Fout:"},
    {"fr",
     "Cette demande ne peut pas aboutir : le service qui vous a envoyé ici a fait une demande "
     "que le système d'identité a refusée. Retournez à ce service et réessayez ; si cela se "
     "répète, signalez-le au service. Erreur :"},
    {"de",
     "Diese Anfrage kann nicht abgeschlossen werden: Der Dienst, der Sie hierher geschickt hat, "
     "stellte eine Anfrage, die das Identitätssystem abgelehnt hat. Kehren Sie zu diesem Dienst "
     "zurück und versuchen Sie es erneut; wenn es wieder passiert, melden Sie es dem Dienst. "
     "Fehler:"},
}};

std::string_view TextIn(const std::array<Translation, 4>& texts, std::string_view locale) {
  for (const auto& t : texts) {
    if (t.locale == locale) return t.text;
  }
  return texts[0].text;
}

}  // namespace

std::string_view LoggedOutText(std::string_view locale) { return TextIn(kLoggedOut, locale); }

http::Response RenderLoggedOutPage(const oidc::LoggedOutPage& page) {
  const std::string locale = ChooseLocale(page.ui_locales, page.accept_language);
  return RenderMessagePage(locale, LoggedOutText(locale), 200);
}

http::Response RenderSchemeErrorPage(const oidc::ErrorPageView& view) {
  const std::string locale = ChooseLocale(view.ui_locales, view.accept_language);
  return RenderMessagePage(locale, TextIn(kRefusedRequest, locale), view.error, view.description,
                           view.status);
}

}  // namespace idscheme::login

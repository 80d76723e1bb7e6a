#include "login/messages.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace idscheme::login {
namespace {

constexpr std::array<std::string_view, 4> kLocales = {"en", "nl", "fr", "de"};
constexpr size_t kMsgCount = static_cast<size_t>(Msg::kCount);

using Row = std::array<std::string_view, 4>;  // en, nl, fr, de

// Indexed by Msg. Keep the order of the enum.
constexpr std::array<Row, kMsgCount> kTexts = {{
    {"idscheme", "idscheme", "idscheme", "idscheme"},
    {"Log in to {member}", "Inloggen bij {member}", "Se connecter à {member}",
     "Anmelden bei {member}"},
    {"{member} asks for:", "{member} vraagt om:", "{member} demande :", "{member} fragt nach:"},
    {"Your mobile phone number", "Uw mobiele telefoonnummer", "Votre numéro de mobile",
     "Ihre Mobilnummer"},
    {"In international format, for example +32 470 12 34 56.",
     "In internationaal formaat, bijvoorbeeld +32 470 12 34 56.",
     "Au format international, par exemple +32 470 12 34 56.",
     "Im internationalen Format, zum Beispiel +32 470 12 34 56."},
    {"Continue", "Doorgaan", "Continuer", "Weiter"},
    {"Use the app on another device (QR code)", "De app op een ander toestel gebruiken (QR-code)",
     "Utiliser l'app sur un autre appareil (code QR)",
     "Die App auf einem anderen Gerät verwenden (QR-Code)"},
    {"Cancel", "Annuleren", "Annuler", "Abbrechen"},
    {"idscheme never asks for your PIN on a web page. You confirm in the app only.",
     "idscheme vraagt nooit uw pincode op een webpagina. U bevestigt alleen in de app.",
     "idscheme ne demande jamais votre code PIN sur une page web. Vous confirmez uniquement dans "
     "l'app.",
     "idscheme fragt nie auf einer Webseite nach Ihrer PIN. Sie bestätigen nur in der App."},
    {"Open the idscheme app on your phone to confirm.",
     "Open de idscheme-app op uw telefoon om te bevestigen.",
     "Ouvrez l'app idscheme sur votre téléphone pour confirmer.",
     "Öffnen Sie die idscheme-App auf Ihrem Telefon, um zu bestätigen."},
    {"Choose this code in the app:", "Kies deze code in de app:", "Choisissez ce code dans l'app :",
     "Wählen Sie diesen Code in der App:"},
    {"Scan this code with the idscheme app.", "Scan deze code met de idscheme-app.",
     "Scannez ce code avec l'app idscheme.", "Scannen Sie diesen Code mit der idscheme-App."},
    {"QR code for the idscheme app, renewed every few seconds",
     "QR-code voor de idscheme-app, om de paar seconden vernieuwd",
     "Code QR pour l'app idscheme, renouvelé toutes les quelques secondes",
     "QR-Code für die idscheme-App, alle paar Sekunden erneuert"},
    {"Waiting for your confirmation in the app…", "Wachten op uw bevestiging in de app…",
     "En attente de votre confirmation dans l'app…", "Warten auf Ihre Bestätigung in der App…"},
    {"Confirmed in the app? Continue", "Bevestigd in de app? Doorgaan",
     "Confirmé dans l'app ? Continuer", "In der App bestätigt? Weiter"},
    {"Confirmed", "Bevestigd", "Confirmé", "Bestätigt"},
    {"Refused", "Geweigerd", "Refusé", "Abgelehnt"},
    {"The request was refused in the app, or the code chosen there was not the one this page "
     "showed. Nothing was shared. You can start again.",
     "Het verzoek werd geweigerd in de app, of de code die u daar koos was niet die van deze "
     "pagina. Er werd niets gedeeld. U kunt opnieuw beginnen.",
     "La demande a été refusée dans l'app, ou le code choisi n'était pas celui de cette page. "
     "Rien n'a été partagé. Vous pouvez recommencer.",
     "Die Anfrage wurde in der App abgelehnt, oder der dort gewählte Code war nicht der dieser "
     "Seite. Es wurde nichts geteilt. Sie können neu beginnen."},
    {"Expired", "Verlopen", "Expiré", "Abgelaufen"},
    {"The request was not confirmed in time. Nothing was shared. You can start again.",
     "Het verzoek werd niet op tijd bevestigd. Er werd niets gedeeld. U kunt opnieuw beginnen.",
     "La demande n'a pas été confirmée à temps. Rien n'a été partagé. Vous pouvez recommencer.",
     "Die Anfrage wurde nicht rechtzeitig bestätigt. Es wurde nichts geteilt. Sie können neu "
     "beginnen."},
    {"Blocked", "Geblokkeerd", "Bloqué", "Gesperrt"},
    {"The app is blocked after too many wrong PINs. Activate it again with a new activation code "
     "from your registrar.",
     "De app is geblokkeerd na te veel foute pincodes. Activeer ze opnieuw met een nieuwe "
     "activeringscode van uw registratiekantoor.",
     "L'app est bloquée après trop de codes PIN erronés. Réactivez-la avec un nouveau code "
     "d'activation de votre bureau d'enregistrement.",
     "Die App ist nach zu vielen falschen PINs gesperrt. Aktivieren Sie sie erneut mit einem "
     "neuen Aktivierungscode Ihrer Registrierungsstelle."},
    {"Cancelled", "Geannuleerd", "Annulé", "Abgebrochen"},
    {"The request was ended before it was confirmed in the app. Nothing was shared. You can "
     "start again.",
     "Het verzoek werd beëindigd voordat het in de app werd bevestigd. Er werd niets gedeeld. U "
     "kunt opnieuw beginnen.",
     "La demande a pris fin avant d'être confirmée dans l'app. Rien n'a été partagé. Vous pouvez "
     "recommencer.",
     "Die Anfrage wurde beendet, bevor sie in der App bestätigt wurde. Es wurde nichts geteilt. "
     "Sie können neu beginnen."},
    {"Not possible at the advanced level", "Niet mogelijk op het geavanceerde niveau",
     "Impossible au niveau avancé", "Auf der erweiterten Stufe nicht möglich"},
    {"This request needs your SIM card (advanced level), and your mobile operator has not linked "
     "your phone number to it. Nothing was shared. Ask your mobile operator, then start again.",
     "Dit verzoek heeft uw simkaart nodig (geavanceerd niveau), en uw mobiele operator heeft uw "
     "telefoonnummer er niet aan gekoppeld. Er werd niets gedeeld. Vraag het uw mobiele "
     "operator en begin dan opnieuw.",
     "Cette demande requiert votre carte SIM (niveau avancé), et votre opérateur mobile n'y a pas "
     "lié votre numéro de téléphone. Rien n'a été partagé. Adressez-vous à votre opérateur "
     "mobile, puis recommencez.",
     "Diese Anfrage benötigt Ihre SIM-Karte (erweiterte Stufe), und Ihr Mobilfunkanbieter hat "
     "Ihre Telefonnummer nicht mit ihr verknüpft. Es wurde nichts geteilt. Fragen Sie Ihren "
     "Mobilfunkanbieter und beginnen Sie dann neu."},
    {"Return to {member}", "Terug naar {member}", "Retour à {member}", "Zurück zu {member}"},
    {"Please enter a mobile number in international format, starting with + and the country code.",
     "Geef een mobiel nummer in internationaal formaat, beginnend met + en de landcode.",
     "Saisissez un numéro de mobile au format international, commençant par + et l'indicatif du "
     "pays.",
     "Bitte geben Sie eine Mobilnummer im internationalen Format ein, beginnend mit + und der "
     "Landesvorwahl."},
    {"Too many attempts. Please wait a while and try again.",
     "Te veel pogingen. Wacht even en probeer het opnieuw.",
     "Trop de tentatives. Patientez un moment puis réessayez.",
     "Zu viele Versuche. Bitte warten Sie eine Weile und versuchen Sie es erneut."},
    {"This login page has expired or was opened in another browser. Please start again from the "
     "service's website.",
     "Deze inlogpagina is verlopen of werd in een andere browser geopend. Begin opnieuw vanaf de "
     "website van de dienst.",
     "Cette page de connexion a expiré ou a été ouverte dans un autre navigateur. Recommencez "
     "depuis le site du service.",
     "Diese Anmeldeseite ist abgelaufen oder wurde in einem anderen Browser geöffnet. Bitte "
     "beginnen Sie erneut auf der Website des Dienstes."},
    {"This request needs the SIM card of your phone (advanced level).",
     "Dit verzoek vraagt de simkaart van uw telefoon (geavanceerd niveau).",
     "Cette demande nécessite la carte SIM de votre téléphone (niveau avancé).",
     "Diese Anfrage benötigt die SIM-Karte Ihres Telefons (erweiterte Stufe)."},
    {"The service is temporarily unavailable. Please try again in a moment.",
     "De dienst is tijdelijk niet beschikbaar. Probeer het zo dadelijk opnieuw.",
     "Le service est momentanément indisponible. Réessayez dans un instant.",
     "Der Dienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es gleich noch einmal."},
}};

struct ClaimLabelRow {
  std::string_view claim;
  Row labels;
};

constexpr std::array<ClaimLabelRow, 21> kClaimLabels = {{
    {"name", {"Full name", "Volledige naam", "Nom complet", "Vollständiger Name"}},
    {"given_name", {"First name", "Voornaam", "Prénom", "Vorname"}},
    {"family_name", {"Last name", "Achternaam", "Nom de famille", "Nachname"}},
    {"middle_name", {"Middle name", "Tweede voornaam", "Deuxième prénom", "Zweiter Vorname"}},
    {"birthdate", {"Date of birth", "Geboortedatum", "Date de naissance", "Geburtsdatum"}},
    {"gender", {"Gender", "Geslacht", "Genre", "Geschlecht"}},
    {"email", {"E-mail address", "E-mailadres", "Adresse e-mail", "E-Mail-Adresse"}},
    {"email_verified",
     {"E-mail verified", "E-mail geverifieerd", "E-mail vérifié", "E-Mail bestätigt"}},
    {"phone_number", {"Phone number", "Telefoonnummer", "Numéro de téléphone", "Telefonnummer"}},
    {"phone_number_verified",
     {"Phone number verified", "Telefoonnummer geverifieerd", "Numéro vérifié",
      "Telefonnummer bestätigt"}},
    {"msisdn", {"Mobile number", "Mobiel nummer", "Numéro de mobile", "Mobilnummer"}},
    {"address", {"Address", "Adres", "Adresse", "Adresse"}},
    {"place_of_birth", {"Place of birth", "Geboorteplaats", "Lieu de naissance", "Geburtsort"}},
    {"nationalities",
     {"Nationalities", "Nationaliteiten", "Nationalités", "Staatsangehörigkeiten"}},
    {"birth_family_name",
     {"Last name at birth", "Achternaam bij geboorte", "Nom de naissance", "Geburtsname"}},
    {"birth_given_name",
     {"First name at birth", "Voornaam bij geboorte", "Prénom de naissance", "Vorname bei Geburt"}},
    {"locale", {"Language", "Taal", "Langue", "Sprache"}},
    {"updated_at",
     {"Last update", "Laatste wijziging", "Dernière mise à jour", "Letzte Aktualisierung"}},
    {"urn:idscheme:claims:national_id_number",
     {"National ID number", "Rijksregisternummer", "Numéro national", "Nationale ID-Nummer"}},
    {"urn:idscheme:claims:id_document",
     {"Identity document", "Identiteitsdocument", "Pièce d'identité", "Ausweisdokument"}},
    {"verified_claims",
     {"Verified identity data", "Geverifieerde identiteitsgegevens", "Données d'identité vérifiées",
      "Geprüfte Identitätsdaten"}},
}};

size_t LocaleIndex(std::string_view locale) {
  for (size_t i = 0; i < kLocales.size(); ++i) {
    if (kLocales[i] == locale) return i;
  }
  return 0;
}

// "nl-BE" -> "nl" when supported.
std::optional<std::string_view> Supported(std::string_view tag) {
  std::string lang;
  for (char c : tag) {
    if (c == '-' || c == '_') break;
    lang.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (auto l : kLocales) {
    if (l == lang) return l;
  }
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::span<const std::string_view> SupportedLocales() { return kLocales; }

std::string ChooseLocale(std::span<const std::string> ui_locales,
                         std::string_view accept_language) {
  for (const auto& tag : ui_locales) {
    if (auto l = Supported(tag)) return std::string(*l);
  }
  // RFC 9110 §12.5.4: language-range [ ";q=" qvalue ], comma-separated; the highest q wins,
  // earlier first on ties. Malformed entries are skipped.
  std::string_view best;
  int best_q = 0;
  size_t count = 0;
  while (!accept_language.empty() && count++ < 32) {
    size_t comma = accept_language.find(',');
    std::string_view item = Trim(accept_language.substr(0, comma));
    accept_language =
        comma == std::string_view::npos ? std::string_view() : accept_language.substr(comma + 1);
    int q = 1000;
    size_t semi = item.find(';');
    std::string_view range = Trim(item.substr(0, semi));
    if (semi != std::string_view::npos) {
      std::string_view param = Trim(item.substr(semi + 1));
      if (param.size() < 3 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
      std::string_view value = param.substr(2);
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), read as thousandths.
      if (value.empty() || (value[0] != '0' && value[0] != '1')) continue;
      int v = (value[0] - '0') * 1000;
      if (value.size() > 1) {
        if (value[1] != '.' || value.size() > 5) continue;
        int scale = 100;
        bool ok = true;
        for (char c : value.substr(2)) {
          if (c < '0' || c > '9') ok = false;
          v += (c - '0') * scale;
          scale /= 10;
        }
        if (!ok || v > 1000) continue;
      }
      q = v;
    }
    auto l = Supported(range);
    if (l && q > best_q) {
      best = *l;
      best_q = q;
    }
  }
  return best.empty() ? std::string(kDefaultLocale) : std::string(best);
}

std::string_view Text(std::string_view locale, Msg msg) {
  size_t m = static_cast<size_t>(msg);
  if (m >= kMsgCount) return {};
  return kTexts[m][LocaleIndex(locale)];
}

std::string ClaimLabel(std::string_view locale, std::string_view claim) {
  for (const auto& row : kClaimLabels) {
    if (row.claim == claim) return std::string(row.labels[LocaleIndex(locale)]);
  }
  return std::string(claim);
}

}  // namespace idscheme::login

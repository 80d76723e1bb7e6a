// The login pages' text in the scheme's four languages (issue 4: English, Dutch, French,
// German), and the choice of language: the request's ui_locales (OIDC Core §3.1.2.1) first,
// then the browser's Accept-Language (RFC 9110 §12.5.4), then English.
//
// Thread-safety: constants and pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace idscheme::login {

enum class Msg {
  kTitle,          // page title suffix
  kLoginTo,        // "Log in to {member}"
  kShareWith,      // "{member} asks for:"
  kPhoneLabel,     // label of the phone number field
  kPhoneHint,      // help under the field
  kContinue,       // submit button
  kUseQr,          // "Use the app on this or another device (QR code)"
  kCancel,         // cancel button
  kNeverSecret,    // "idscheme never asks for your PIN on a web page"
  kOpenApp,        // waiting page: "Open the idscheme app ..."
  kCheckCode,      // "Check that the app shows this code"
  kScanQr,         // "Scan this code with the idscheme app"
  kQrAlt,          // alt text of the QR image
  kWaiting,        // live status: waiting
  kNoScript,       // the link for browsers without JavaScript
  kApprovedTitle,  // outcome: approved (shown briefly)
  kRefusedTitle,   // outcome: refused
  kRefusedText,
  kExpiredTitle,  // outcome: expired
  kExpiredText,
  kLockedTitle,  // outcome: locked
  kLockedText,
  kCancelledTitle,  // outcome: cancelled by the scheme (a revocation, a suspension)
  kCancelledText,
  kUnreachableTitle,  // outcome: an advanced request the person's enrolment cannot reach
  kUnreachableText,
  kReturn,         // "Return to {member}"
  kInvalidPhone,   // phone number not E.164
  kTooMany,        // rate limited
  kSessionGone,    // the session is unknown, expired or of another browser
  kLevelAdvanced,  // "This request needs your SIM card (advanced level)"
  kUnavailable,    // the store cannot be reached (503)
  kCount
};

inline constexpr std::string_view kDefaultLocale = "en";
std::span<const std::string_view> SupportedLocales();  // en, nl, fr, de

// The first supported language among `ui_locales` (space-separated list already split), then
// the Accept-Language header (by q-value), else "en". Regional tags match by their language
// ("nl-BE" -> "nl").
std::string ChooseLocale(std::span<const std::string> ui_locales, std::string_view accept_language);

// The text of `msg` in `locale` (English when unknown). "{member}" placeholders are replaced by
// the caller (after HTML-escaping).
std::string_view Text(std::string_view locale, Msg msg);

// A person-readable label for a catalogue claim ("given_name" -> "First name"), or the claim
// name itself when there is none.
std::string ClaimLabel(std::string_view locale, std::string_view claim);

}  // namespace idscheme::login

#include "http/error_response.h"

#include <array>

namespace idscheme::http {
namespace {

using Code = Status::Code;

// How one registered OAuth error code is answered.
enum class Challenge { kNone, kResource, kClient, kDpop };
struct OAuthErrorRule {
  std::string_view error;
  int status;
  Challenge challenge;
};

// Codes whose HTTP status is fixed by their registration. Order is irrelevant.
constexpr std::array kOAuthErrors = {
    // RFC 6749 §5.2 (token endpoint) and §4.1.2.1 (authorization endpoint, when not redirected).
    OAuthErrorRule{"invalid_request", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_client", 401, Challenge::kClient},  // §5.2: 401 + WWW-Authenticate
    OAuthErrorRule{"invalid_grant", 400, Challenge::kNone},
    OAuthErrorRule{"unauthorized_client", 400, Challenge::kNone},
    OAuthErrorRule{"unsupported_grant_type", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_scope", 400, Challenge::kNone},
    OAuthErrorRule{"unsupported_response_type", 400, Challenge::kNone},
    OAuthErrorRule{"server_error", 500, Challenge::kNone},
    OAuthErrorRule{"temporarily_unavailable", 503, Challenge::kNone},
    // RFC 6750 §3.1 (protected resources).
    OAuthErrorRule{"invalid_token", 401, Challenge::kResource},
    OAuthErrorRule{"insufficient_scope", 403, Challenge::kResource},
    // RFC 7009 §2.2.1 (revocation).
    OAuthErrorRule{"unsupported_token_type", 400, Challenge::kNone},
    // OIDC Core §3.1.2.6 (shown when they cannot be redirected).
    OAuthErrorRule{"interaction_required", 400, Challenge::kNone},
    OAuthErrorRule{"login_required", 400, Challenge::kNone},
    OAuthErrorRule{"account_selection_required", 400, Challenge::kNone},
    OAuthErrorRule{"consent_required", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_request_uri", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_request_object", 400, Challenge::kNone},
    OAuthErrorRule{"request_not_supported", 400, Challenge::kNone},
    OAuthErrorRule{"request_uri_not_supported", 400, Challenge::kNone},
    OAuthErrorRule{"registration_not_supported", 400, Challenge::kNone},
    // RFC 7591 §3.2.2 (dynamic registration).
    OAuthErrorRule{"invalid_redirect_uri", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_client_metadata", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_software_statement", 400, Challenge::kNone},
    OAuthErrorRule{"unapproved_software_statement", 400, Challenge::kNone},
    // RFC 9396 §5 (rich authorization requests).
    OAuthErrorRule{"invalid_authorization_details", 400, Challenge::kNone},
    // RFC 9101 / RFC 9126: PAR and JAR reuse invalid_request_object / invalid_request.
    // CIBA Core §11 (token endpoint polling) and §13 (authentication request).
    OAuthErrorRule{"authorization_pending", 400, Challenge::kNone},
    OAuthErrorRule{"slow_down", 400, Challenge::kNone},
    OAuthErrorRule{"expired_token", 400, Challenge::kNone},
    OAuthErrorRule{"transaction_failed", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_binding_message", 400, Challenge::kNone},
    OAuthErrorRule{"invalid_user_code", 400, Challenge::kNone},
    OAuthErrorRule{"missing_user_code", 400, Challenge::kNone},
    OAuthErrorRule{"unknown_user_id", 400, Challenge::kNone},
    OAuthErrorRule{"expired_login_hint_token", 400, Challenge::kNone},
};

int StatusForCode(Code code) {
  switch (code) {
    case Code::kOk:
      return 500;  // an OK status is not an error: a caller's bug
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 400;
    case Code::kResourceExhausted:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ErrorForCode(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return "invalid_request";
    case Code::kPermissionDenied:
      return "access_denied";
    case Code::kUnavailable:
      return "temporarily_unavailable";
    case Code::kOk:
    case Code::kInternal:
      return "server_error";
    default:
      return CodeName(code);
  }
}

// RFC 6750 §3: auth-param values are quoted-strings; error and error_description use a charset
// without '"' and '\', so no escaping is needed once sanitised.
std::string BuildChallenge(std::string_view scheme, std::string_view error,
                           std::string_view description) {
  std::string out(scheme);
  if (error.empty()) return out;
  out += " error=\"";
  out += error;
  out += '"';
  if (!description.empty()) {
    out += ", error_description=\"";
    out += description;
    out += '"';
  }
  return out;
}

}  // namespace

std::string SanitizeErrorDescription(std::string_view text) {
  constexpr size_t kMax = 512;
  constexpr std::string_view kSection = "\xc2\xa7";  // §, as the messages cite specs
  std::string out;
  out.reserve(text.size() < kMax ? text.size() : kMax);
  for (size_t i = 0; i < text.size() && out.size() < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (text.substr(i, kSection.size()) == kSection) {
      out += "section ";
      i += kSection.size() - 1;
      if (i + 1 < text.size() && text[i + 1] == ' ') ++i;
    } else if (c == '"' || c == '\\') {
      out.push_back('\'');
    } else if (c >= 0x80) {
      // One '?' per character outside ASCII, not per byte: skip its continuation bytes.
      out.push_back('?');
      while (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) ++i;
    } else if (c < 0x20 || c == 0x7F) {
      out.push_back('?');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (out.size() > kMax) out.resize(kMax);
  return out;
}

HttpError MapStatus(const Status& status, std::string_view auth_scheme) {
  HttpError e;
  const std::string& oauth = status.oauth_error();
  Challenge challenge = Challenge::kNone;
  bool mapped = false;
  if (!oauth.empty()) {
    for (const auto& rule : kOAuthErrors) {
      if (rule.error == oauth) {
        e.status = rule.status;
        challenge = rule.challenge;
        mapped = true;
        break;
      }
    }
    if (!mapped &&
        (oauth == "access_denied" || oauth == "invalid_dpop_proof" || oauth == "use_dpop_nonce")) {
      mapped = true;
      if (status.code() == Code::kPermissionDenied) {
        e.status = 403;  // a management/API refusal
      } else if (status.code() == Code::kUnauthenticated) {
        e.status = 401;  // RFC 9449 §7.1 / §9: resource server answers with a DPoP challenge
        challenge = oauth == "access_denied" ? Challenge::kResource : Challenge::kDpop;
      } else {
        e.status = 400;  // RFC 6749 §5.2, RFC 9449 §5 / §8, CIBA Core §11: token endpoint
      }
    }
    if (!mapped) e.status = StatusForCode(status.code());  // an unregistered code: by Code
    e.error = oauth;
  } else {
    e.status = StatusForCode(status.code());
    e.error = std::string(ErrorForCode(status.code()));
  }

  if (e.status >= 500) {
    // Never leak internals: the client learns only that something failed on our side.
    e.internal_detail = status.ToString();
    e.description = e.status == 503 ? "the service is temporarily unavailable" : "internal error";
  } else {
    e.description = SanitizeErrorDescription(status.message());
  }

  // RFC 9110 §15.5.2: a 401 carries at least one challenge.
  if (e.status == 401 && challenge == Challenge::kNone) challenge = Challenge::kResource;
  switch (challenge) {
    case Challenge::kNone:
      break;
    case Challenge::kResource:  // RFC 6750 §3
      e.www_authenticate = BuildChallenge(auth_scheme.empty() ? "Bearer" : auth_scheme,
                                          e.status == 401 && oauth.empty() ? "" : e.error,
                                          oauth.empty() ? "" : e.description);
      break;
    case Challenge::kClient:  // RFC 6749 §5.2: the scheme the client used
      e.www_authenticate =
          std::string(auth_scheme.empty() ? "Basic" : auth_scheme) + " realm=\"idscheme\"";
      break;
    case Challenge::kDpop:  // RFC 9449 §7.1
      e.www_authenticate =
          BuildChallenge(auth_scheme.empty() ? "DPoP" : auth_scheme, e.error, e.description);
      break;
  }
  return e;
}

}  // namespace idscheme::http

// The authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3), validated
// against the client's registration, and the rule for where its errors go.
//
// ValidateAuthorizationRequest takes the request's effective parameters (the query or form, or
// what a request object or a pushed request carried: the endpoint unwraps those first) and the
// client they name, and runs the checks as one ordered list of named rules (kRules in the .cc):
//
//   not redirected (the caller shows an error page: nothing proves the redirect_uri is the
//   client's, OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1):
//     single_use_params   every parameter at most once (RFC 6749 §3.1)     invalid_request
//     client_id           present, and the client's                        invalid_request
//     client_usable       client, member, reseller active                  access_denied
//                         registered for the code flow                     unauthorized_client
//     redirect_uri        present, an exact registered string              invalid_request
//   redirected to redirect_uri with state and iss (RFC 9207), in response_mode:
//     response_mode       query (default) or form_post                     invalid_request
//     state               at most kMaxStateLength                          invalid_request
//     pushed_required     PAR used when the client or the server needs it  invalid_request
//     response_type       present and exactly "code"             unsupported_response_type
//     scope               has openid; unknown values ignored (registry/claims.h)
//                                                                       invalid_scope
//     pkce                S256 only, 43 base64url characters; required     invalid_request
//     dpop_jkt            a SHA-256 JWK thumbprint, 43 base64url chars     invalid_request
//     nonce               at most kMaxNonceLength                          invalid_request
//     claims              OIDC Core §5.5 (claims_request.h)                invalid_request
//     acr_values          the scheme's acr URIs (acr.h), others ignored; an essential acr in
//                         claims.id_token that none of them meets          access_denied
//     prompt              none -> login_required; login, consent, select_account accepted
//     max_age             a non-negative integer                           invalid_request
//     login_hint          an E.164 phone number (+ and 7-15 digits)        invalid_request
//     ui_locales          BCP 47 tags; what is not one is left out (ParseUiLocales)
// A request whose state is longer than kMaxStateLength gets every error on the error page, not
// at redirect_uri: a redirect must carry the exact state (RFC 6749 §4.1.2.1).
// Unknown parameters are ignored (RFC 6749 §3.1). prompt=select_account is accepted: every
// login already has the person choose the account (they type the phone number), which is what
// OIDC Core §3.1.2.1 asks of it. The scheme keeps no browser session, so prompt=none can never
// be satisfied: login_required (OIDC Core §3.1.2.6).
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "http/form.h"
#include "oidc/authorization_clients.h"
#include "oidc/claims_request.h"
#include "registry/agreement.h"

namespace idscheme::oidc {

inline constexpr size_t kMaxStateLength = 1024;
inline constexpr size_t kMaxNonceLength = 512;

// The configuration (section [oidc] when the lead wires it) is named after these members.
struct AuthorizationOptions {
  std::string issuer;                                  // server.issuer, no trailing '/'
  bool require_pkce = true;                            // RFC 7636; FAPI 2.0 §5.3.1.1
  bool require_pushed_authorization_requests = false;  // RFC 9126 §6, for every client
  int64_t pushed_request_lifetime_seconds = 60;        // RFC 9126 §2.2 expires_in
  int64_t request_object_max_lifetime_seconds = 3600;  // exp - now, and now - nbf (FAPI 2.0)
  int64_t clock_leeway_seconds = 30;
};

// InvalidArgument naming the key ("oidc.pushed_request_lifetime_seconds: ...") when a value is
// out of range; for the start-up configuration check.
Status ValidateAuthorizationOptions(const AuthorizationOptions& options);

// kFragment is only ever used for the error answering a response type that includes `token` or
// `id_token` (unsupported here): those responses default to the fragment (OAuth 2.0 Multiple
// Response Types §2.1, §5). Codes always go by query or form_post.
enum class ResponseMode { kQuery, kFormPost, kFragment };
std::string_view ResponseModeName(ResponseMode mode);  // "query", "form_post", "fragment"

// How the parameters arrived (some rules depend on it).
struct RequestSource {
  bool pushed = false;          // from a PAR request_uri (RFC 9126)
  bool request_object = false;  // from a verified request object (RFC 9101)
};

struct ValidatedAuthorizationRequest {
  std::string client_id;
  std::string member_id;
  std::string redirect_uri;
  ResponseMode response_mode = ResponseMode::kQuery;
  std::vector<std::string> scopes;  // in the order sent, without duplicates; openid first
  std::optional<std::string> state;
  std::optional<std::string> nonce;
  std::string code_challenge;         // empty only when PKCE is not required and not sent
  std::string code_challenge_method;  // "S256" when code_challenge is set
  // RFC 9449 §10: the code is issued for this key (its RFC 7638 SHA-256 thumbprint); PAR sets it
  // from the request's DPoP proof too (§10.1).
  std::optional<std::string> dpop_jkt;
  ClaimsRequest claims;
  std::string claims_json;              // the claims parameter as sent (empty when absent)
  std::vector<std::string> acr_values;  // requested acr URIs, in preference order
  std::vector<registry::AssuranceLevel> acr_levels;  // the same as levels; else the client's
                                                     // default_acr_values
  std::vector<std::string> prompt;                   // "login", "consent", "select_account"
  std::optional<int64_t> max_age;
  std::optional<std::string> login_hint;  // E.164, e.g. "+32470123456"
  std::vector<std::string> ui_locales;
  RequestSource source;

  // The lowest requested level (the least the login must reach), basic when none was asked.
  registry::AssuranceLevel MinimumLevel() const;
};

struct AuthorizationError {
  enum class Delivery {
    kErrorPage,  // the client or its redirect_uri is not verified: show a page, never redirect
    kRedirect,   // send to redirect_uri with error, error_description, state, iss
  };
  Delivery delivery = Delivery::kErrorPage;
  std::string error;  // the OAuth error code
  std::string description;
  std::string rule;  // the rule that refused ("pkce"), for logs and tests
  // kRedirect only:
  std::string redirect_uri;
  ResponseMode response_mode = ResponseMode::kQuery;
  std::optional<std::string> state;

  bool redirected() const { return delivery == Delivery::kRedirect; }
};

// A validated request, or the error and where it goes.
using AuthorizationOutcome = std::variant<ValidatedAuthorizationRequest, AuthorizationError>;

AuthorizationOutcome ValidateAuthorizationRequest(const http::FormParams& params,
                                                  const AuthorizationClient& client,
                                                  const AuthorizationOptions& options,
                                                  RequestSource source = {});

// An error shown on a page (before the redirect_uri is verified).
AuthorizationError PageError(std::string error, std::string description, std::string rule);

// Single checks, exposed for the request object and PAR steps and for tests.
bool IsE164PhoneNumber(std::string_view text);
// RFC 7636 §4.2 with S256: exactly 43 base64url characters (a SHA-256 digest).
bool IsS256CodeChallenge(std::string_view text);
// RFC 9449 §10 dpop_jkt: an RFC 7638 SHA-256 JWK thumbprint, 43 base64url characters.
bool IsDpopJkt(std::string_view text);
// OIDC Core §3.1.2.1 ui_locales: space-separated BCP 47 tags, in order of preference. What is
// not a tag is left out, never an error ("SHOULD NOT result in an error"): "en_US" is read as
// "en-US", "*" or "en@x" dropped; at most the first 16 are kept.
std::vector<std::string> ParseUiLocales(std::string_view text);

}  // namespace idscheme::oidc

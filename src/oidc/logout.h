// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): GET and POST /logout, the
// end_session_endpoint of discovery.
//
// The scheme keeps no browser session (every login is approved in the app), so there is no
// session at the provider to end and nothing to ask the person to confirm: a logout without a
// valid id_token_hint changes nothing, and one with it ends only what the client itself could
// revoke at /revoke. What a logout does:
//   - with a valid id_token_hint, it revokes every refresh token family and every live access
//     token the hint's client holds for the hint's sub (the logins the service provider ends),
//     audited as `oidc.logout` in the same transaction when anything was revoked;
//   - then it redirects (303) to post_logout_redirect_uri with state, or shows the "logged out"
//     page in the person's language (LoggedOutPageRenderer).
// Validate() runs these rules, in order; any failure is an error page (400), never a redirect,
// and nothing is revoked (§4: what fails to validate is not used):
//   single_use_params         every parameter at most once                  invalid_request
//   id_token_hint             an ID token this issuer signed, expired or not (§2); signed, not
//                             encrypted (§2 lets the RP send the signed inner token)
//                                                                            invalid_request
//   client_id                 known and active; the hint's aud when both are given (§2)
//                                                                 invalid_client,
//                                                                 unauthorized_client
//   post_logout_redirect_uri  the client is identified (hint or client_id) and registered the
//                             URI exactly (§3, §3.1)                          invalid_request
//   state                     at most kMaxStateLength                        invalid_request
//   ui_locales                BCP 47 tags; what is not one is left out (ParseUiLocales)
//   logout_hint               at most kMaxLogoutHintLength; otherwise unused (there is no
//                             session to choose among)                       invalid_request
//
// Thread-safety: safe from any number of threads once constructed.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "http/form.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "keys/key_manager.h"
#include "oidc/authorization_response.h"
#include "registry/client_directory.h"
#include "store/database.h"

namespace idscheme::oidc {

inline constexpr std::string_view kLogoutPath = "/logout";
inline constexpr size_t kMaxLogoutHintLength = 512;
inline constexpr size_t kMaxIdTokenHintLength = 16 * 1024;

// What the "logged out" page knows.
struct LoggedOutPage {
  std::vector<std::string> ui_locales;  // the request's, validated
  std::string accept_language;          // the browser's Accept-Language header
};
using LoggedOutPageRenderer = std::function<http::Response(const LoggedOutPage&)>;
// A plain English page (the node renders the login pages' one, in four languages).
http::Response DefaultLoggedOutPage(const LoggedOutPage& page);

// A logout request that passed every rule.
struct LogoutRequest {
  std::optional<std::string> client_id;              // client_id, or the hint's aud
  std::optional<registry::ClientAuthRecord> client;  // that client, active
  std::optional<std::string> subject;  // the hint's sub: set only with a verified hint
  std::optional<std::string> post_logout_redirect_uri;  // registered by client_id
  std::optional<std::string> state;
  std::vector<std::string> ui_locales;
};

struct LogoutError {
  std::string error;  // an OAuth-style code for the page: invalid_request, ...
  std::string description;
  std::string rule;  // the rule that refused, for logs and tests
};

using LogoutOutcome = std::variant<LogoutRequest, LogoutError>;

// What a logout ended.
struct EndedLogins {
  int64_t refresh_families = 0;
  int64_t access_tokens = 0;            // live ones, not revoked before
  std::vector<std::string> action_ids;  // the approvals behind the ended logins (evidence)
};

struct LogoutDeps {
  const keys::KeyManager& keys;  // the scheme's published keys verify ID token hints
  registry::ClientDirectory& clients;
  store::Database& db;
  const Clock& clock;
};

struct LogoutOptions {
  std::string issuer;  // required: the iss of our ID tokens
  // The pairwise-subject secret: finds refresh tokens stored before they carried their sub.
  std::vector<uint8_t> subject_secret;
  LoggedOutPageRenderer logged_out_page;  // empty: DefaultLoggedOutPage
  ErrorPageRenderer error_page;           // a refused logout's page; empty: plain English
};

// The claims of an ID token this issuer signed with one of its published keys (any of
// SupportedResponseSigningAlgs, typ JWT, iss, a string aud, sub and auth_time), whatever its exp
// (RP-Initiated Logout §2). InvalidArgument naming the problem otherwise.
Result<nlohmann::json> VerifyIdTokenHint(std::string_view token, const keys::KeyManager& keys,
                                         std::string_view issuer);

// Revokes, in one transaction with its audit entry, every refresh token family and live access
// token `client` holds for `subject` (the sub it knows the person by). Refresh tokens stored
// before they carried their sub are found through their grant (`subject_secret`) and get it.
Result<EndedLogins> EndClientLogins(store::Database& db, const registry::ClientAuthRecord& client,
                                    std::string_view subject,
                                    std::span<const uint8_t> subject_secret, const Clock& clock);

class LogoutEndpoint {
 public:
  LogoutEndpoint(LogoutDeps deps, LogoutOptions options);

  // The rules above on the request's parameters.
  LogoutOutcome Validate(const http::FormParams& params) const;
  // GET (query) or POST (form body) /logout.
  http::Response Handle(const http::Request& request) const;

 private:
  LogoutDeps deps_;
  LogoutOptions options_;
};

// GET and POST /logout ("logout"). `endpoint` must outlive the router.
void AddLogoutRoutes(http::Router& router, const LogoutEndpoint& endpoint);

}  // namespace idscheme::oidc

#include "http/error_response.h"

#include <gtest/gtest.h>

#include "http/response.h"

namespace idscheme::http {
namespace {

using Code = Status::Code;

struct Row {
  Status status;
  int http;
  std::string error;
  std::string www_authenticate;  // "" = none; otherwise a prefix the header must start with
};

TEST(MapStatus, Table) {
  const std::vector<Row> rows = {
      // RFC 6749 §5.2
      {Status::OAuth("invalid_request", "d"), 400, "invalid_request", ""},
      {Status::OAuth("invalid_client", "d", Code::kUnauthenticated), 401, "invalid_client",
       "Basic realm="},
      {Status::OAuth("invalid_grant", "d"), 400, "invalid_grant", ""},
      {Status::OAuth("unauthorized_client", "d"), 400, "unauthorized_client", ""},
      {Status::OAuth("unsupported_grant_type", "d"), 400, "unsupported_grant_type", ""},
      {Status::OAuth("invalid_scope", "d"), 400, "invalid_scope", ""},
      {Status::OAuth("unsupported_response_type", "d"), 400, "unsupported_response_type", ""},
      {Status::OAuth("server_error", "d"), 500, "server_error", ""},
      {Status::OAuth("temporarily_unavailable", "d"), 503, "temporarily_unavailable", ""},
      // RFC 6750 §3.1
      {Status::OAuth("invalid_token", "d", Code::kUnauthenticated), 401, "invalid_token",
       "Bearer error=\"invalid_token\""},
      {Status::OAuth("insufficient_scope", "d", Code::kPermissionDenied), 403, "insufficient_scope",
       "Bearer error=\"insufficient_scope\""},
      // access_denied: by where it arises
      {Status::OAuth("access_denied", "d"), 400, "access_denied", ""},
      {Status::OAuth("access_denied", "d", Code::kPermissionDenied), 403, "access_denied", ""},
      // RFC 9449: token endpoint 400, resource server 401 with a DPoP challenge
      {Status::OAuth("invalid_dpop_proof", "d"), 400, "invalid_dpop_proof", ""},
      {Status::OAuth("invalid_dpop_proof", "d", Code::kUnauthenticated), 401, "invalid_dpop_proof",
       "DPoP error=\"invalid_dpop_proof\""},
      {Status::OAuth("use_dpop_nonce", "d"), 400, "use_dpop_nonce", ""},
      {Status::OAuth("use_dpop_nonce", "d", Code::kUnauthenticated), 401, "use_dpop_nonce",
       "DPoP error=\"use_dpop_nonce\""},
      // CIBA Core §11
      {Status::OAuth("authorization_pending", "d"), 400, "authorization_pending", ""},
      {Status::OAuth("slow_down", "d"), 400, "slow_down", ""},
      {Status::OAuth("expired_token", "d"), 400, "expired_token", ""},
      {Status::OAuth("unknown_user_id", "d"), 400, "unknown_user_id", ""},
      // OIDC Core §3.1.2.6, RFC 7591, RFC 9396
      {Status::OAuth("login_required", "d"), 400, "login_required", ""},
      {Status::OAuth("invalid_request_object", "d"), 400, "invalid_request_object", ""},
      {Status::OAuth("invalid_redirect_uri", "d"), 400, "invalid_redirect_uri", ""},
      {Status::OAuth("invalid_authorization_details", "d"), 400, "invalid_authorization_details",
       ""},
      // An unregistered code follows the Status::Code.
      {Status::OAuth("made_up", "d", Code::kNotFound), 404, "made_up", ""},
      // Plain statuses, by Code.
      {Status::InvalidArgument("d"), 400, "invalid_request", ""},
      {Status::Unauthenticated("d"), 401, "unauthenticated", "Bearer"},
      {Status::PermissionDenied("d"), 403, "access_denied", ""},
      {Status::NotFound("d"), 404, "not_found", ""},
      {Status::AlreadyExists("d"), 409, "already_exists", ""},
      {Status::FailedPrecondition("d"), 400, "failed_precondition", ""},
      {Status::ResourceExhausted("d"), 429, "resource_exhausted", ""},
      {Status::Unavailable("d"), 503, "temporarily_unavailable", ""},
      {Status::Internal("d"), 500, "server_error", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.status.ToString());
    HttpError e = MapStatus(row.status);
    EXPECT_EQ(e.status, row.http);
    EXPECT_EQ(e.error, row.error);
    if (row.www_authenticate.empty()) {
      EXPECT_EQ(e.www_authenticate, "");
    } else {
      EXPECT_EQ(e.www_authenticate.rfind(row.www_authenticate, 0), 0u) << e.www_authenticate;
    }
  }
}

TEST(MapStatus, ServerErrorsNeverLeakTheMessage) {
  for (const Status& st : {Status::Internal("sqlite: /var/lib/x.db is locked"),
                           Status::Unavailable("pg: host=db.internal refused"),
                           Status::OAuth("server_error", "stack trace here")}) {
    HttpError e = MapStatus(st);
    EXPECT_EQ(e.description.find("sqlite"), std::string::npos);
    EXPECT_EQ(e.description.find("db.internal"), std::string::npos);
    EXPECT_EQ(e.description.find("stack"), std::string::npos);
    EXPECT_NE(e.internal_detail.find(st.message()), std::string::npos);
  }
  Response r = Response::Error(Status::Internal("secret path /etc/x"));
  EXPECT_EQ(r.status(), 500);
  EXPECT_EQ(r.body().find("/etc/x"), std::string::npos);
  EXPECT_NE(r.log_detail().find("/etc/x"), std::string::npos);
}

TEST(MapStatus, ChallengeCarriesTheSanitisedDescription) {
  HttpError e =
      MapStatus(Status::OAuth("invalid_token", "token \"abc\" expired\n", Code::kUnauthenticated));
  EXPECT_EQ(e.www_authenticate,
            "Bearer error=\"invalid_token\", error_description=\"token 'abc' expired?\"");
  EXPECT_EQ(e.description, "token 'abc' expired?");
  // The caller picks the scheme (DPoP-bound token).
  EXPECT_EQ(MapStatus(Status::OAuth("invalid_token", "x", Code::kUnauthenticated), "DPoP")
                .www_authenticate.rfind("DPoP error=", 0),
            0u);
}

TEST(SanitizeErrorDescription, KeepsTheAllowedCharset) {
  EXPECT_EQ(SanitizeErrorDescription("a\"b\\c\x01\x7f\xc3\xa9"
                                     "d"),
            "a'b'c???d");
  // RFC 6749 section 5.2: ASCII only; the specs the messages cite keep a readable name.
  EXPECT_EQ(SanitizeErrorDescription("see OIDC Core \xc2\xa7"
                                     "8.1 and RFC 9449 \xc2\xa7 10"),
            "see OIDC Core section 8.1 and RFC 9449 section 10");
  EXPECT_EQ(SanitizeErrorDescription(std::string(600, 'x')).size(), 512u);
}

TEST(ResponseError, BodyIsOAuthJson) {
  Response r = Response::Error(Status::OAuth("invalid_grant", "code expired"));
  EXPECT_EQ(r.status(), 400);
  EXPECT_EQ(r.GetHeader("content-type"), "application/json");
  auto body = nlohmann::json::parse(r.body());
  EXPECT_EQ(body["error"], "invalid_grant");
  EXPECT_EQ(body["error_description"], "code expired");
  Response unauth =
      Response::Error(Status::OAuth("invalid_client", "bad secret", Code::kUnauthenticated));
  EXPECT_EQ(unauth.status(), 401);
  EXPECT_TRUE(unauth.GetHeader("www-authenticate").has_value());
}

}  // namespace
}  // namespace idscheme::http

namespace idscheme::http {
namespace {

// CSP3 §2.3.1: what a redirect URI becomes in form-action.
TEST(CspSourceForUrl, KeepsWhatCspCanCarryAndEncodesSemicolonsAndCommas) {
  EXPECT_EQ(CspSourceForUrl("https://rp.example/cb?x=1#f"), "https://rp.example/cb");
  EXPECT_EQ(CspSourceForUrl("http://127.0.0.1:8080/cb"), "http://127.0.0.1:8080/cb");
  EXPECT_EQ(CspSourceForUrl("https://[::1]:8443/a"), "https://[::1]:8443/a");
  // ';' and ',' would end the directive or the policy: percent-encoded, which matching decodes.
  EXPECT_EQ(CspSourceForUrl("https://rp.example/cb;v=1"), "https://rp.example/cb%3Bv=1");
  EXPECT_EQ(CspSourceForUrl("https://rp.example/a,b/it's"), "https://rp.example/a%2Cb/it%27s");
  // A path CSP cannot carry at all: the origin alone.
  EXPECT_EQ(CspSourceForUrl("https://evil.example/x; script-src *"), "https://evil.example");
  EXPECT_EQ(CspSourceForUrl("https://rp.example/\"x"), "https://rp.example");
  // Not even the origin: nothing.
  EXPECT_EQ(CspSourceForUrl("https://user@rp.example/cb"), std::nullopt);
  EXPECT_EQ(CspSourceForUrl("https://rp.example;x/cb"), std::nullopt);
  EXPECT_EQ(CspSourceForUrl("https:///cb"), std::nullopt);
  EXPECT_EQ(CspSourceForUrl("javascript:alert(1)"), std::nullopt);
  EXPECT_EQ(CspSourceForUrl("com.example.app:/cb"), std::nullopt);
}

}  // namespace
}  // namespace idscheme::http

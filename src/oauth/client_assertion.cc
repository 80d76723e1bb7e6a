#include "oauth/client_assertion.h"

#include <algorithm>

#include "crypto/json.h"
#include "crypto/jwt.h"

namespace idscheme::oauth {
namespace {

Status InvalidClient(std::string message) {
  return Status::OAuth("invalid_client", "client assertion: " + message,
                       Status::Code::kUnauthenticated);
}

}  // namespace

std::vector<crypto::SigAlg> AllowedAssertionAlgs(std::string_view registered_alg) {
  using crypto::SigAlg;
  if (registered_alg.empty()) return {SigAlg::kES256, SigAlg::kPS256, SigAlg::kEdDSA};
  auto alg = crypto::ParseSigAlg(registered_alg);
  // RFC 8725 §3.1 / FAPI 2.0: shared-secret algorithms are never accepted for assertions here.
  if (!alg || *alg == SigAlg::kHS256 || *alg == SigAlg::kHS384 || *alg == SigAlg::kHS512) return {};
  return {*alg};
}

Result<ParsedClientAssertion> ParseClientAssertion(std::string_view assertion) {
  if (assertion.size() > kMaxClientAssertionSize) return InvalidClient("too large");
  auto jws = crypto::ParseJws(assertion, kMaxClientAssertionSize);
  if (!jws.ok()) return InvalidClient(jws.status().message());
  auto claims = crypto::ParseJsonObjectStrict(jws->payload);
  if (!claims.ok()) return InvalidClient("claims: " + claims.status().message());
  ParsedClientAssertion out;
  auto iss = claims->find("iss");
  // RFC 7523 §3 item 1: iss is required.
  if (iss == claims->end() || !iss->is_string() || iss->get_ref<const std::string&>().empty())
    return InvalidClient("\"iss\" missing");
  out.issuer = iss->get<std::string>();
  out.jws = std::move(jws).value();
  out.claims = std::move(claims).value();
  return out;
}

Result<VerifiedClientAssertion> VerifyClientAssertion(const ParsedClientAssertion& assertion,
                                                      std::string_view client_id,
                                                      const std::vector<crypto::SigAlg>& allowed,
                                                      const AssertionKeyResolver& keys,
                                                      const ClientAssertionPolicy& policy,
                                                      const Clock& clock) {
  const auto& jws = assertion.jws;
  const auto& claims = assertion.claims;
  // FAPI 2.0 §5.4 / RFC 8725 §3.1: only the algorithms allowed for this client.
  if (std::find(allowed.begin(), allowed.end(), jws.alg) == allowed.end())
    return InvalidClient("alg " + std::string(crypto::SigAlgName(jws.alg)) + " is not allowed");
  // RFC 8725 §3.11-3.12, RFC 9101 §10.8: a JWT of another kind never passes for an assertion,
  // above all a request object, which travels through browsers and logs. An assertion is
  // untyped, "JWT", or "client-authentication+jwt" (the explicit type RFC 7523's update gives).
  if (!jws.typ.empty() && !crypto::SameMediaType(jws.typ, "JWT") &&
      !crypto::SameMediaType(jws.typ, "client-authentication+jwt"))
    return InvalidClient("the header's typ is not a client assertion's");
  // An untyped request object carries the authorization request (RFC 9101 §4).
  if (claims.contains("response_type") || claims.contains("redirect_uri"))
    return InvalidClient("a request object is not a client assertion");
  // RFC 7523 §3 items 1-2, OIDC Core §9: iss and sub are the client_id.
  if (assertion.issuer != client_id) return InvalidClient("\"iss\" is not the client_id");
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>() != client_id)
    return InvalidClient("\"sub\" is not the client_id");

  auto key = keys(jws.kid, jws.alg);
  if (!key.ok()) {
    if (key.status().code() == Status::Code::kUnavailable) return key.status();
    return InvalidClient("no key of the client verifies it: " + key.status().message());
  }
  if (Status s = crypto::VerifyJws(jws, **key, allowed); !s.ok()) return InvalidClient(s.message());

  // RFC 7523 §3 items 4-6: exp required; nbf and iat checked with a small leeway.
  crypto::JwtVerifyOptions options;
  options.allowed_algs = allowed;
  options.clock = &clock;
  options.leeway_seconds = policy.leeway_seconds;
  options.require_exp = true;
  if (Status s = crypto::CheckJwtClaims(claims, options); !s.ok())
    return InvalidClient(s.message());
  const auto& exp_value = claims["exp"];
  const int64_t exp =
      exp_value.is_number_float()
          ? static_cast<int64_t>(exp_value.get<double>())
          : (exp_value.is_number_unsigned() ? static_cast<int64_t>(exp_value.get<uint64_t>())
                                            : exp_value.get<int64_t>());
  // A short-lived assertion limits how long a stolen one is worth anything, and how long its
  // jti must be remembered.
  if (exp > clock.NowSeconds() + policy.max_lifetime_seconds + policy.leeway_seconds)
    return InvalidClient("\"exp\" is too far in the future");

  // RFC 7523 §3 item 3: aud identifies this authorisation server.
  bool aud_ok = false;
  auto aud = claims.find("aud");
  if (aud != claims.end()) {
    auto names_us = [&](const nlohmann::json& v) {
      return v.is_string() && std::find(policy.audiences.begin(), policy.audiences.end(),
                                        v.get_ref<const std::string&>()) != policy.audiences.end();
    };
    if (aud->is_array()) {
      aud_ok = std::any_of(aud->begin(), aud->end(), names_us);
    } else {
      aud_ok = names_us(*aud);
    }
  }
  if (!aud_ok) return InvalidClient("\"aud\" does not name this server");

  // RFC 7523 §3 item 7 (OIDC Core §9 makes it required): jti.
  auto jti = claims.find("jti");
  if (jti == claims.end() || !jti->is_string() || jti->get_ref<const std::string&>().empty())
    return InvalidClient("\"jti\" missing");
  if (jti->get_ref<const std::string&>().size() > 256) return InvalidClient("\"jti\" too long");

  return VerifiedClientAssertion{std::string(client_id), jti->get<std::string>(), exp};
}

}  // namespace idscheme::oauth

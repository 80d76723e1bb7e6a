#include "oauth/dpop.h"

#include <algorithm>

#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/json.h"
#include "crypto/jwt.h"
#include "store/once.h"

namespace idscheme::oauth {
namespace {

using json = nlohmann::json;

constexpr std::string_view kJtiKind = "dpop_jti";
constexpr size_t kMaxJtiSize = 256;

Status BadProof(std::string message) {
  return Status::OAuth(std::string(kInvalidDpopProof), std::move(message));
}

bool IsAsymmetric(crypto::SigAlg alg) {
  return alg != crypto::SigAlg::kHS256 && alg != crypto::SigAlg::kHS384 &&
         alg != crypto::SigAlg::kHS512;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return Lower(c) - 'a' + 10;
}
bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 §6.2.2.1 / §6.2.2.2: %xx upper-cased, unreserved characters decoded.
Result<std::string> NormalizePercent(std::string_view text, bool lower_case) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return Status::InvalidArgument("htu: invalid character");
    if (c != '%') {
      out.push_back(lower_case ? Lower(c) : c);
      continue;
    }
    if (i + 2 >= text.size() || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
      return Status::InvalidArgument("htu: malformed percent-encoding");
    const char decoded = static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
    if (IsUnreserved(decoded)) {
      out.push_back(lower_case ? Lower(decoded) : decoded);
    } else {
      out.push_back('%');
      out.push_back(Upper(text[i + 1]));
      out.push_back(Upper(text[i + 2]));
    }
    i += 2;
  }
  return out;
}

Result<std::string> ClaimString(const json& claims, const char* name) {
  auto it = claims.find(name);
  // RFC 9449 §4.3 item 3: the claims of §4.2 are required.
  if (it == claims.end()) return BadProof(std::string("\"") + name + "\" missing");
  if (!it->is_string() || it->get_ref<const std::string&>().empty())
    return BadProof(std::string("\"") + name + "\" is not a non-empty string");
  return it->get<std::string>();
}

}  // namespace

Result<std::string> NormalizeHtu(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0)
    return Status::InvalidArgument("htu: not an absolute URL");
  std::string scheme;
  for (char c : url.substr(0, colon)) scheme.push_back(Lower(c));  // RFC 3986 §6.2.2.1
  if (scheme != "https" && scheme != "http")
    return Status::InvalidArgument("htu: not an http(s) URL");
  std::string_view rest = url.substr(colon + 3);
  // Query and fragment are not compared (RFC 9449 §4.3 item 9).
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return Status::InvalidArgument("htu: userinfo is not allowed");
  std::string_view host = authority;
  std::string_view port;
  const size_t bracket = authority.rfind(']');
  const size_t port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos &&
      (bracket == std::string_view::npos || port_colon > bracket)) {
    host = authority.substr(0, port_colon);
    port = authority.substr(port_colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument("htu: no host");
  // RFC 3986 §3.2.2: a colon in the host only inside an IP-literal ("[...]"). Otherwise
  // "a:1b:" would pass as host "a:1b" and normalise to something that no longer parses.
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string_view::npos)
    return Status::InvalidArgument("htu: malformed host");
  IDS_ASSIGN_OR_RETURN(std::string out_host, NormalizePercent(host, /*lower_case=*/true));
  std::string out = scheme + "://" + out_host;
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return Status::InvalidArgument("htu: malformed port");
    const int number = std::stoi(std::string(port));
    if (number > 65535) return Status::InvalidArgument("htu: malformed port");
    // RFC 3986 §6.2.3: the scheme's default port is the same as none.
    if (!((scheme == "https" && number == 443) || (scheme == "http" && number == 80)))
      out += ":" + std::to_string(number);
  }
  IDS_ASSIGN_OR_RETURN(std::string out_path, NormalizePercent(path, /*lower_case=*/false));
  out += out_path.empty() ? "/" : out_path;  // RFC 3986 §6.2.3: empty path is "/"
  return out;
}

std::string DpopAccessTokenHash(std::string_view access_token) {
  return Base64UrlEncode(crypto::Sha256(access_token));
}

void AddDpopConfirmation(std::string_view jkt, json* claims) {
  if (!claims->is_object()) *claims = json::object();
  (*claims)["cnf"] = {{"jkt", std::string(jkt)}};
}

std::optional<std::string> DpopConfirmation(const json& claims) {
  if (!claims.is_object()) return std::nullopt;
  auto cnf = claims.find("cnf");
  if (cnf == claims.end() || !cnf->is_object()) return std::nullopt;
  auto jkt = cnf->find("jkt");
  if (jkt == cnf->end() || !jkt->is_string()) return std::nullopt;
  return jkt->get<std::string>();
}

void BindToDpopKey(const TokenRequest& request, AccessTokenRequest* token,
                   TokenResponse* response) {
  if (!request.dpop_jkt) return;
  AddDpopConfirmation(*request.dpop_jkt, &token->extra);  // RFC 9449 §6.1
  response->token_type = std::string(kDpopTokenType);     // RFC 9449 §5
}

Status CheckDpopJktBinding(const std::optional<std::string>& code_jkt,
                           const TokenRequest& request) {
  if (!code_jkt) return Status::Ok();
  // RFC 9449 §10: the proof's key must be the one named by dpop_jkt.
  if (!request.dpop_jkt || !crypto::ConstantTimeEquals(*request.dpop_jkt, *code_jkt))
    return Status::OAuth("invalid_grant", "the DPoP proof is not by the key the code is bound to");
  return Status::Ok();
}

Result<ParsedDpopProof> ParseDpopProof(std::string_view proof, const DpopOptions& options) {
  // RFC 9449 §4.3 item 2: a single, well-formed JWT.
  auto jws = crypto::ParseJws(proof, options.max_proof_size);
  if (!jws.ok()) return BadProof("malformed proof: " + jws.status().message());
  // RFC 9449 §4.3 item 4: typ is dpop+jwt.
  if (!crypto::SameMediaType(jws->typ, kDpopTyp)) return BadProof("typ is not dpop+jwt");
  // RFC 9449 §4.3 item 5: an asymmetric algorithm (never none or a MAC) that policy accepts.
  if (!IsAsymmetric(jws->alg) || std::find(options.allowed_algs.begin(), options.allowed_algs.end(),
                                           jws->alg) == options.allowed_algs.end())
    return BadProof("alg not accepted for DPoP proofs");
  auto jwk = jws->header.find("jwk");
  if (jwk == jws->header.end() || !jwk->is_object()) return BadProof("jwk header missing");
  // RFC 9449 §4.3 item 7: the jwk is a public key (FromPublicJwk refuses any private member).
  auto key = crypto::Key::FromPublicJwk(*jwk);
  if (!key.ok()) return BadProof("jwk is not an acceptable public key: " + key.status().message());
  // RFC 9449 §4.3 item 6: the signature verifies with the jwk's key.
  if (!crypto::VerifyJws(*jws, **key, {jws->alg}).ok())
    return BadProof("signature does not verify with the jwk");
  auto claims = crypto::ParseJsonObjectStrict(jws->payload);
  if (!claims.ok()) return BadProof("claims are not a JSON object");

  ParsedDpopProof out;
  out.key = *key;
  out.jkt = (*key)->Rfc7638Thumbprint();
  // RFC 9449 §4.3 item 3 / §4.2: jti, htm, htu, iat.
  IDS_ASSIGN_OR_RETURN(out.jti, ClaimString(*claims, "jti"));
  if (out.jti.size() > kMaxJtiSize) return BadProof("jti too long");
  IDS_ASSIGN_OR_RETURN(out.htm, ClaimString(*claims, "htm"));
  IDS_ASSIGN_OR_RETURN(out.htu, ClaimString(*claims, "htu"));
  auto iat = claims->find("iat");
  if (iat == claims->end() || !iat->is_number_integer())
    return BadProof("\"iat\" missing or not an integer");
  out.iat = iat->get<int64_t>();
  if (auto ath = claims->find("ath"); ath != claims->end()) {
    if (!ath->is_string()) return BadProof("\"ath\" is not a string");
    out.ath = ath->get<std::string>();
  }
  out.claims = std::move(claims).value();
  return out;
}

Status CheckDpopBinding(const ParsedDpopProof& proof, const DpopBinding& binding, int64_t now,
                        const DpopOptions& options) {
  // RFC 9449 §4.3 item 8: htm is the request's method (methods are case-sensitive).
  if (proof.htm != binding.method) return BadProof("htm does not match the request method");
  // RFC 9449 §4.3 item 9: htu is the request's URI, without query and fragment, normalised.
  auto expected = NormalizeHtu(binding.url);
  if (!expected.ok()) return Status::Internal("endpoint URL: " + expected.status().message());
  auto htu = NormalizeHtu(proof.htu);
  if (!htu.ok()) return BadProof(htu.status().message());
  if (*htu != *expected) return BadProof("htu does not match the request URI");
  // RFC 9449 §4.3 item 11, §11.1: iat within the acceptable window, either way.
  if (proof.iat < now - options.iat_window_seconds) return BadProof("proof is too old (iat)");
  if (proof.iat > now + options.iat_window_seconds) return BadProof("iat is in the future");
  // RFC 9449 §4.3 item 12: with an access token, ath is the hash of that token.
  if (binding.access_token) {
    if (!proof.ath) return BadProof("\"ath\" missing");
    if (!crypto::ConstantTimeEquals(*proof.ath, DpopAccessTokenHash(*binding.access_token)))
      return BadProof("ath does not match the access token");
  }
  return Status::Ok();
}

DpopVerifier::DpopVerifier(store::Database& db, const Clock& clock, DpopOptions options)
    : db_(db), clock_(clock), options_(std::move(options)) {
  std::erase_if(options_.allowed_algs, [](crypto::SigAlg alg) { return !IsAsymmetric(alg); });
}

Result<DpopProof> DpopVerifier::Verify(std::string_view proof, const DpopBinding& binding) const {
  IDS_ASSIGN_OR_RETURN(ParsedDpopProof parsed, ParseDpopProof(proof, options_));
  IDS_RETURN_IF_ERROR(CheckDpopBinding(parsed, binding, clock_.NowSeconds(), options_));
  // RFC 9449 §11.1: a jti is accepted once, per key and target URI, for as long as its iat
  // passes item 11. The store decides, so a proof replayed to another node is refused too.
  IDS_ASSIGN_OR_RETURN(std::string htu, NormalizeHtu(parsed.htu));
  std::string key = parsed.jkt;
  key += '\n';
  key += htu;
  key += '\n';
  key += parsed.jti;
  IDS_ASSIGN_OR_RETURN(bool first, store::AcceptOnce(db_, kJtiKind, key,
                                                     parsed.iat + options_.iat_window_seconds + 1));
  if (!first) return BadProof("proof was already used (jti)");
  return DpopProof{std::move(parsed.jkt), std::move(parsed.jti), parsed.iat, std::move(parsed.key)};
}

Result<std::optional<DpopProof>> DpopVerifier::VerifyRequest(const http::Request& request,
                                                             const DpopBinding& binding) const {
  const size_t count = request.HeaderCount(kDpopHeader);
  if (count == 0) return std::optional<DpopProof>();
  // RFC 9449 §4.3 item 1: not more than one DPoP header.
  if (count > 1) return BadProof("more than one DPoP header");
  IDS_ASSIGN_OR_RETURN(DpopProof proof, Verify(*request.GetHeader(kDpopHeader), binding));
  return std::optional<DpopProof>(std::move(proof));
}

std::string DpopVerifier::AlgsValue() const {
  std::string out;
  for (crypto::SigAlg alg : options_.allowed_algs) {
    if (!out.empty()) out += ' ';
    out += crypto::SigAlgName(alg);
  }
  return out;
}

http::Response ResourceErrorResponse(const http::Request& request, const Status& status,
                                     std::string_view algs) {
  const std::string& error = status.oauth_error();
  bool dpop = error == kInvalidDpopProof || error == "use_dpop_nonce";
  if (auto authorization = request.GetHeader("Authorization")) {
    const std::string_view scheme = authorization->substr(0, authorization->find(' '));
    dpop = dpop || http::EqualsIgnoreCase(scheme, kDpopAuthScheme);
  }
  if (!dpop) return http::Response::Error(status);
  http::Response r = http::Response::Error(status, kDpopAuthScheme);
  if (auto challenge = r.GetHeader("WWW-Authenticate"); challenge && !algs.empty()) {
    // RFC 9449 §7.1: algs lists the accepted proof algorithms.
    std::string value(*challenge);
    value += value == kDpopAuthScheme ? " " : ", ";
    value += "algs=\"";
    value += algs;
    value += '"';
    r.SetHeader("WWW-Authenticate", std::move(value));
  }
  return r;
}

}  // namespace idscheme::oauth

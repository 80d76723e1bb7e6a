// idscheme-code-mint: authorization codes as the login pages issue them after an approval
// (login/login_flow.cc, IssueCode), written straight into a running node's store through
// oidc::AuthorizationCodes::Issue, for bench/compare's `token_code` workload: the token
// endpoint's authorization_code grant alone, without the PAR, pages and approval in front of it
// (the `login` workload measures those).
//
//   idscheme-code-mint --db PATH --client-id ID --member-id ID --redirect-uri URI
//                      --identities FILE --count N --out FILE [--scope SCOPE]
//   --db          the node's store: <data dir>/idscheme.db, or a postgresql:// URL
//   --identities  identity ids of active persons, one a line; the codes take them in turn (each
//                 is read once first, so a mistyped or revoked one stops the tool)
//   --out         gets one "<code> <code_verifier>" per line, in issue order
//
// Each code is a real approved login: a fresh nonce, an S256 challenge of a fresh 43-character
// verifier, the basic level's acr, amr hwk+pin+mfa, auth_time now, and an action id of its own
// (no pending action exists behind it: only logout reads the id, as evidence). Codes are valid
// for 60 seconds from their minting, so mint right before the run that uses them. Each code is
// one INSERT (AuthorizationCodes takes a Database, not a Transaction); the rate goes to stderr.
//
// Thread-safety: single-threaded.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "identity/identities.h"
#include "oidc/acr.h"
#include "oidc/authorization_codes.h"
#include "store/database.h"

namespace {

using idscheme::Status;

struct Options {
  std::string db;
  std::string client_id;
  std::string member_id;
  std::string redirect_uri;
  std::string identities_file;
  std::string out;
  std::string scope = "openid";
  long count = -1;
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "code-mint: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Fail(what + ": " + s.ToString());
}

// RFC 7636 §4.1: 32 random bytes as base64url, 43 characters of the unreserved set.
std::string NewVerifier(idscheme::Random& random) { return random.Token(32); }

std::vector<std::string> SplitScope(const std::string& scope) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= scope.size()) {
    size_t end = scope.find(' ', start);
    if (end == std::string::npos) end = scope.size();
    if (end == start) return {};  // empty scope, or a doubled or trailing space
    out.push_back(scope.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Issues N authorization codes (valid 60 s) into a node's store as the login pages do after "
      "an approval (bench/compare's token_code workload).",
      "idscheme-code-mint"};
  app.add_option("--db", o.db, "the node's SQLite store (its file)")->required();
  app.add_option("--client-id", o.client_id, "the client the codes are for")->required();
  app.add_option("--member-id", o.member_id, "the client's member")->required();
  app.add_option("--redirect-uri", o.redirect_uri, "one of the client's redirect URIs")->required();
  app.add_option("--identities", o.identities_file, "a file with one identity id a line")
      ->required();
  app.add_option("--count", o.count, "how many codes")->required()->check(CLI::PositiveNumber);
  app.add_option("--out", o.out, "where the codes go: \"<code> <code_verifier>\" a line")
      ->required();
  app.add_option("--scope", o.scope, "the scope, space-separated, starting with openid")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const std::vector<std::string> scopes = SplitScope(o.scope);
  // OIDC Core §3.1.2.1: an OpenID Connect login has openid in its scope.
  const bool has_openid = !scopes.empty() && scopes.front() == "openid";
  if (!has_openid) Fail("--scope must start with openid, single spaces between values");

  std::ifstream in(o.identities_file);
  if (!in) Fail("cannot read " + o.identities_file);
  std::vector<std::string> persons;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.find_first_of(" \t\r") != std::string::npos)
      Fail(o.identities_file + ": expected one identity id a line, got \"" + line + "\"");
    persons.push_back(line);
  }
  if (persons.empty()) Fail(o.identities_file + " has no identity id");

  auto db = idscheme::store::Database::Open(o.db, 1);
  Check(db.status(), "open the store " + o.db);
  idscheme::Random& random = idscheme::crypto::SystemRandom();
  const idscheme::Clock& clock = idscheme::SystemClock::Instance();

  // What the token endpoint will read back (oidc/grants/authorization_code.cc): the person,
  // active. Checked once here so that a bad list fails before the run, not as invalid_grant.
  idscheme::identity::Identities identities(**db, clock, random);
  for (const std::string& id : persons) {
    auto person = identities.Get(idscheme::identity::Actor::Operator(), id);
    Check(person.status(), "identity " + id);
    if (person->status != idscheme::identity::IdentityStatus::kActive)
      Fail("identity " + id + " is not active");
  }

  std::ofstream out(o.out, std::ios::trunc);
  if (!out) Fail("cannot write " + o.out);
  idscheme::oidc::AuthorizationCodes codes(**db, clock, random);
  idscheme::oidc::ApprovedAuthorization grant;
  grant.client_id = o.client_id;
  grant.member_id = o.member_id;
  grant.redirect_uri = o.redirect_uri;
  grant.scopes = scopes;
  grant.code_challenge_method = "S256";
  grant.acr = std::string(idscheme::oidc::kAcrBasic);
  grant.amr = {"hwk", "pin", "mfa"};  // as login_flow.cc: RFC 8176, a PIN-unlocked hardware key

  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < o.count; ++i) {
    const std::string verifier = NewVerifier(random);
    grant.identity_id = persons[static_cast<size_t>(i) % persons.size()];
    grant.nonce = random.Token(16);
    // RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
    grant.code_challenge = idscheme::Base64UrlEncode(idscheme::crypto::Sha256(verifier));
    grant.auth_time = clock.NowSeconds();
    grant.action_id = "bench-" + random.Token(12);
    auto code = codes.Issue(grant);
    Check(code.status(), "issue a code");
    out << *code << ' ' << verifier << '\n';
  }
  out.close();
  if (!out) Fail("cannot write " + o.out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "code-mint: %ld codes in %.2f s (%.0f/s)\n", o.count, seconds,
               o.count / (seconds > 0 ? seconds : 1e-9));
  return 0;
}

#include "oidc/authorization_codes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "oauth/revocation.h"
#include "oidc/oidc_test_env.h"
#include "store/migrations.h"
#include "testing/test_db.h"

namespace idscheme::oidc {
namespace {

using testenv::kChallenge;
using testenv::kRedirect;
using testenv::kVerifier;

ApprovedAuthorization Grant() {
  ApprovedAuthorization a;
  a.client_id = "cli_a";
  a.member_id = "mem_a";
  a.identity_id = "idn_1";
  a.redirect_uri = kRedirect;
  a.scopes = {"openid", "email"};
  a.nonce = "n-1";
  a.code_challenge = kChallenge;
  a.code_challenge_method = "S256";
  auto claims = ParseClaimsRequest(
      R"({"id_token":{"email":{"essential":true},"acr":{"values":["urn:idscheme:loa:basic"]}},)"
      R"("userinfo":{"given_name":null,"verified_claims":{"claims":{"given_name":null}}}})");
  EXPECT_TRUE(claims.ok()) << claims.status().ToString();
  a.claims = *claims;
  a.approved_claims = {"email", "given_name"};
  a.acr = "urn:idscheme:loa:basic";
  a.amr = {"hwk", "pin"};
  a.auth_time = testenv::kStart - 3;
  a.action_id = "act_1";
  a.dpop_jkt = "jkt-1";
  return a;
}

class AuthorizationCodesTest : public ::testing::TestWithParam<idscheme::testing::Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    url_ = idscheme::testing::FreshDatabaseUrl(GetParam());
    ASSERT_FALSE(url_.empty());
    auto db = store::Database::Open(url_, 4);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(store::Migrate(*db_, testenv::AllMigrations()).ok());
    codes_ = std::make_unique<AuthorizationCodes>(*db_, clock_, random_);
  }

  bool Revoked(const std::string& jti) {
    auto r = oauth::IsAccessTokenRevoked(*db_, jti);
    EXPECT_TRUE(r.ok());
    return r.ok() && *r;
  }

  std::string url_;
  std::unique_ptr<store::Database> db_;
  FakeClock clock_{testenv::kStart};
  SeededRandom random_{11};
  std::unique_ptr<AuthorizationCodes> codes_;
};

void ExpectInvalidGrant(const Status& s, std::string_view what) {
  EXPECT_EQ(s.oauth_error(), "invalid_grant") << what << ": " << s.ToString();
}

TEST_P(AuthorizationCodesTest, IssueAndRedeemRoundTripsTheGrant) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(code->size(), 43u);  // 256 bits, base64url
  auto got = codes_->Redeem(*code, "cli_a", kRedirect, kVerifier);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const auto want = Grant();
  EXPECT_EQ(ApprovedAuthorizationToJson(*got), ApprovedAuthorizationToJson(want));
  EXPECT_EQ(got->nonce, "n-1");
  EXPECT_EQ(got->dpop_jkt, "jkt-1");
  ASSERT_EQ(got->claims.id_token.size(), 2u);
  EXPECT_TRUE(got->claims.id_token[0].essential || got->claims.id_token[1].essential);
  ASSERT_TRUE(got->claims.userinfo_verified_claims.has_value());
}

TEST_P(AuthorizationCodesTest, OnlyTheHashIsStored) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  auto rows = db_->Exec("SELECT code_hash, grant_json FROM oidc_authorization_codes");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].Text(0).find(*code), std::string::npos);
  EXPECT_EQ(rows->rows[0].Text(1).find(*code), std::string::npos);
  EXPECT_NE(rows->rows[0].Text(0), *code);
}

TEST_P(AuthorizationCodesTest, RefusalsAreInvalidGrant) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  ExpectInvalidGrant(codes_->Redeem("nope", "cli_a", kRedirect, kVerifier).status(), "unknown");
  ExpectInvalidGrant(codes_->Redeem("", "cli_a", kRedirect, kVerifier).status(), "empty");
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_b", kRedirect, kVerifier).status(), "other client");
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", "https://rp.example/cb2", kVerifier).status(),
                     "other redirect_uri");
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", "", kVerifier).status(), "no redirect_uri");
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, "").status(), "no verifier");
  std::string wrong = kVerifier;
  wrong[0] = 'e';
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, wrong).status(), "wrong verifier");
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, "short").status(), "short");
  ExpectInvalidGrant(
      codes_->Redeem(*code, "cli_a", kRedirect, std::string(kVerifier) + "!").status(),
      "bad character");
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, std::string(129, 'a')).status(),
                     "too long");
  // None of those consumed it: the rightful client still redeems it.
  EXPECT_TRUE(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).ok());
}

// RFC 7636 Appendix B: the known verifier/challenge pair.
TEST_P(AuthorizationCodesTest, Rfc7636AppendixBPair) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  EXPECT_TRUE(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).ok());
}

TEST_P(AuthorizationCodesTest, WithoutPkceAVerifierIsRefused) {
  auto g = Grant();
  g.code_challenge.clear();
  g.code_challenge_method.clear();
  auto code = codes_->Issue(g);
  ASSERT_TRUE(code.ok());
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).status(),
                     "verifier without challenge");
  EXPECT_TRUE(codes_->Redeem(*code, "cli_a", kRedirect, "").ok());
}

TEST_P(AuthorizationCodesTest, PlainChallengeCannotBeIssued) {
  auto g = Grant();
  g.code_challenge_method = "plain";
  EXPECT_FALSE(codes_->Issue(g).ok());
}

TEST_P(AuthorizationCodesTest, ExpiresAfterSixtySeconds) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  clock_.AdvanceSeconds(59);
  auto code2 = codes_->Issue(Grant());
  ASSERT_TRUE(code2.ok());
  clock_.AdvanceSeconds(1);
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).status(), "expired");
  EXPECT_TRUE(codes_->Redeem(*code2, "cli_a", kRedirect, kVerifier).ok());
}

TEST_P(AuthorizationCodesTest, ReuseIsRefusedAndRevokesIssuedTokens) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  ASSERT_TRUE(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).ok());
  ASSERT_TRUE(codes_->RecordIssued(*code, "jti-1", testenv::kStart + 600).ok());
  EXPECT_FALSE(Revoked("jti-1"));
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).status(), "reuse");
  EXPECT_TRUE(Revoked("jti-1"));
  // A token recorded after the reuse was seen (the winner was slow) is revoked at once.
  ExpectInvalidGrant(codes_->RecordIssued(*code, "jti-2", testenv::kStart + 600), "late record");
  EXPECT_TRUE(Revoked("jti-2"));
}

TEST_P(AuthorizationCodesTest, ReuseAfterExpiryStillRevokes) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  ASSERT_TRUE(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).ok());
  ASSERT_TRUE(codes_->RecordIssued(*code, "jti-9", testenv::kStart + 600).ok());
  clock_.AdvanceSeconds(120);
  ExpectInvalidGrant(codes_->Redeem(*code, "cli_a", kRedirect, kVerifier).status(), "reuse");
  EXPECT_TRUE(Revoked("jti-9"));
}

TEST_P(AuthorizationCodesTest, PurgeDropsCodesADayAfterExpiry) {
  auto code = codes_->Issue(Grant());
  ASSERT_TRUE(code.ok());
  ASSERT_TRUE(codes_->RecordIssued(*code, "jti-1", testenv::kStart + 600).ok());
  clock_.AdvanceSeconds(60 + 24 * 3600 - 1);
  auto purged = codes_->PurgeExpired();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 0);
  clock_.AdvanceSeconds(2);
  purged = codes_->PurgeExpired();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  auto left = db_->Exec("SELECT COUNT(*) FROM oidc_code_tokens");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->rows[0].Int(0), 0);
}

// Two redemptions of one code racing on two connection pools: exactly one wins (the store's
// conditional UPDATE decides, so this holds across nodes).
TEST_P(AuthorizationCodesTest, RacingRedemptionsExactlyOneWins) {
  auto other_db = store::Database::Open(url_, 4);
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  SeededRandom other_random(12);
  AuthorizationCodes other(**other_db, clock_, other_random);
  for (int round = 0; round < 20; ++round) {
    auto code = codes_->Issue(Grant());
    ASSERT_TRUE(code.ok());
    std::atomic<bool> go{false};
    Result<ApprovedAuthorization> r1 = Status::Internal("not run");
    Result<ApprovedAuthorization> r2 = Status::Internal("not run");
    std::thread t1([&] {
      while (!go) std::this_thread::yield();
      r1 = codes_->Redeem(*code, "cli_a", kRedirect, kVerifier);
    });
    std::thread t2([&] {
      while (!go) std::this_thread::yield();
      r2 = other.Redeem(*code, "cli_a", kRedirect, kVerifier);
    });
    go = true;
    t1.join();
    t2.join();
    EXPECT_EQ(r1.ok() + r2.ok(), 1)
        << round << ": " << r1.status().ToString() << " / " << r2.status().ToString();
    const auto& loser = r1.ok() ? r2 : r1;
    ExpectInvalidGrant(loser.status(), "loser");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthorizationCodesTest, idscheme::testing::AllBackends(),
                         idscheme::testing::BackendName);

}  // namespace
}  // namespace idscheme::oidc

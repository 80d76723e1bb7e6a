// The client key cache: inline sets parsed once, jwks_uri fetched from a real local server and
// cached per Cache-Control, one rate-limited refetch for an unknown kid.
#include "oauth/jwks_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "oauth/oauth_test_env.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using namespace testenv;

class JwksCacheTest : public ::testing::Test {
 protected:
  JwksCacheTest()
      : fetcher_(LoopbackOptions()),
        cache_(
            JwksCacheOptions{}, [this](std::string_view url) { return fetcher_.Get(url); },
            clock_) {
    k1_ = MakeClientKey(crypto::KeyType::kEcP256, "k1");
    k2_ = MakeClientKey(crypto::KeyType::kEcP256, "k2");
  }
  static FetchOptions LoopbackOptions() {
    FetchOptions o;
    o.allow_loopback_http = true;
    return o;
  }
  static std::string SetOf(std::initializer_list<const ClientKey*> keys) {
    nlohmann::json set = {{"keys", nlohmann::json::array()}};
    for (const auto* k : keys) set["keys"].push_back(k->jwks["keys"][0]);
    return set.dump();
  }
  ClientAuthRecord UriClient() { return JwtClient("c1", nullptr, server_.url()); }

  FakeClock clock_{kStart};
  JwksServer server_;
  HttpsFetcher fetcher_;
  JwksCache cache_;
  ClientKey k1_, k2_;
};

TEST_F(JwksCacheTest, InlineSetIsParsedOnceAndReparsedWhenItChanges) {
  auto client = JwtClient("c1", k1_.jwks);
  auto a = cache_.FindVerifyKey(client, "k1", SigAlg::kES256);
  auto b = cache_.FindVerifyKey(client, "k1", SigAlg::kES256);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get()) << "the parsed key is reused";
  EXPECT_EQ(cache_.FindVerifyKey(client, "k2", SigAlg::kES256).status().code(),
            Status::Code::kNotFound);
  client.jwks = k2_.jwks;  // the registry changed the client's keys
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k2", SigAlg::kES256).ok());
  EXPECT_EQ(cache_.fetch_count(), 0u);
}

TEST_F(JwksCacheTest, NoKidPicksTheSingleSuitableKey) {
  auto client = JwtClient("c1", k1_.jwks);
  EXPECT_TRUE(cache_.FindVerifyKey(client, "", SigAlg::kES256).ok());
  EXPECT_FALSE(cache_.FindVerifyKey(client, "", SigAlg::kPS256).ok());
}

TEST_F(JwksCacheTest, RefusesPrivateOrMalformedInlineSetsAndClientsWithoutKeys) {
  auto priv = k1_.key->ToJwk(/*include_private=*/true);
  ASSERT_TRUE(priv.ok());
  auto client = JwtClient("c1", {{"keys", {*priv}}});
  EXPECT_FALSE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  client.jwks = {{"keys", "nope"}};
  EXPECT_FALSE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  client.jwks = "string";
  EXPECT_FALSE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  client = JwtClient("c2", nullptr);
  EXPECT_EQ(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(JwksCacheTest, JwksUriIsFetchedOnceAndKeptForMaxAge) {
  server_.Set(SetOf({&k1_}), "max-age=600");
  auto client = UriClient();
  for (int i = 0; i < 3; ++i) {
    auto k = cache_.FindVerifyKey(client, "k1", SigAlg::kES256);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
  }
  EXPECT_EQ(server_.hits(), 1);
  clock_.AdvanceSeconds(599);
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 1);
  clock_.AdvanceSeconds(2);
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 2) << "refetched after max-age";
}

TEST_F(JwksCacheTest, UnknownKidRefetchesOnceThenIsRateLimited) {
  server_.Set(SetOf({&k1_}), "max-age=3600");
  auto client = UriClient();
  ASSERT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  clock_.AdvanceSeconds(11);
  // The client rotates to k2: the first assertion with k2 makes one refetch and succeeds.
  server_.Set(SetOf({&k1_, &k2_}), "max-age=3600");
  auto k = cache_.FindVerifyKey(client, "k2", SigAlg::kES256);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(server_.hits(), 2);
  // A kid nobody has: one refetch is allowed only after the interval.
  auto none = cache_.FindVerifyKey(client, "k9", SigAlg::kES256);
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(server_.hits(), 2) << "fetched less than 10 s ago: no new fetch";
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(cache_.FindVerifyKey(client, "k9", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 2);
  clock_.AdvanceSeconds(10);
  EXPECT_FALSE(cache_.FindVerifyKey(client, "k9", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 3) << "one refetch per interval";
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 3);
}

TEST_F(JwksCacheTest, FailedRefreshKeepsThePreviousKeys) {
  server_.Set(SetOf({&k1_}), "max-age=60");
  auto client = UriClient();
  ASSERT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  clock_.AdvanceSeconds(61);
  server_.Set("oops", "", 500);
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 2);
  // The next attempt waits for the interval.
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 2);
  server_.Set("{\"keys\":[", "", 200);  // malformed
  clock_.AdvanceSeconds(10);
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  EXPECT_EQ(server_.hits(), 3);
}

TEST_F(JwksCacheTest, NothingCachedAndFetchFailsIsUnavailableAndRateLimited) {
  server_.Set("oops", "", 503);
  auto client = UriClient();
  EXPECT_EQ(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).status().code(),
            Status::Code::kUnavailable);
  EXPECT_EQ(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).status().code(),
            Status::Code::kUnavailable);
  EXPECT_EQ(server_.hits(), 1);
}

TEST_F(JwksCacheTest, PrivateKeysFromAJwksUriAreRefused) {
  auto priv = k1_.key->ToJwk(/*include_private=*/true);
  server_.Set(nlohmann::json{{"keys", {*priv}}}.dump());
  EXPECT_FALSE(cache_.FindVerifyKey(UriClient(), "k1", SigAlg::kES256).ok());
}

TEST_F(JwksCacheTest, ConcurrentRequestsShareOneFetch) {
  server_.Set(SetOf({&k1_}), "max-age=600");
  auto client = UriClient();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(server_.hits(), 1);
}

TEST_F(JwksCacheTest, CacheControlIsBounded) {
  EXPECT_EQ(cache_.TtlFromCacheControl(""), 300);
  EXPECT_EQ(cache_.TtlFromCacheControl("max-age=1"), 60);
  EXPECT_EQ(cache_.TtlFromCacheControl("public, max-age=7200"), 7200);
  EXPECT_EQ(cache_.TtlFromCacheControl("Max-Age=\"900\""), 900);
  EXPECT_EQ(cache_.TtlFromCacheControl("max-age=99999999999999999999"), 86400);
  EXPECT_EQ(cache_.TtlFromCacheControl("no-store"), 60);
  EXPECT_EQ(cache_.TtlFromCacheControl("max-age=600, no-cache"), 60);
  EXPECT_EQ(cache_.TtlFromCacheControl("max-age=abc"), 300);
}

}  // namespace
}  // namespace idscheme::oauth

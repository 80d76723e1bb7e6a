// The client key cache: inline sets parsed once, jwks_uri fetched from a real local server and
// cached per Cache-Control, one rate-limited refetch for an unknown kid, and requests that do
// not wait for another request's fetch when a set from the same jwks_uri is cached.
#include "oauth/jwks_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "oauth/oauth_test_env.h"

namespace idscheme::oauth {
namespace {

using crypto::SigAlg;
using namespace testenv;
using std::chrono_literals::operator""s;

// Long enough for any step that should finish at once; a regression that makes a request wait
// for the held fetch fails the test after this long instead of hanging it.
constexpr auto kPatience = 10s;

// Passes fetches to the real fetcher. Once armed (once per test), the next fetch announces
// itself (entered()) and is held until Release(): a jwks_uri that hangs as long as we want.
class GatedFetcher {
 public:
  explicit GatedFetcher(HttpsFetcher& real) : real_(real) {}

  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  std::future<void> entered() { return entered_.get_future(); }
  void Release() {
    std::lock_guard lock(mu_);
    if (!released_) release_.set_value();
    released_ = true;
  }

  Result<FetchResponse> operator()(std::string_view url) {
    bool hold = false;
    {
      std::lock_guard lock(mu_);
      hold = std::exchange(armed_, false);
    }
    if (hold) {
      entered_.set_value();
      release_wait_.wait();
    }
    return real_.Get(url);
  }

 private:
  HttpsFetcher& real_;
  std::mutex mu_;
  bool armed_ = false;
  bool released_ = false;
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> release_wait_ = release_.get_future().share();
};

// Releases the held fetch when the test ends, even on a failed ASSERT, so the threads still in
// the cache can finish. Declare it after the futures: it must run before they wait for them.
struct ReleaseAtExit {
  GatedFetcher& gate;
  ~ReleaseAtExit() { gate.Release(); }
};

using KeyFuture = std::future<Result<crypto::KeyPtr>>;

class JwksCacheTest : public ::testing::Test {
 protected:
  JwksCacheTest()
      : fetcher_(LoopbackOptions()),
        gate_(fetcher_),
        cache_(
            JwksCacheOptions{}, [this](std::string_view url) { return gate_(url); }, clock_) {
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
  // FindVerifyKey(client, kid, ES256) on a thread of its own.
  KeyFuture FindAsync(const ClientAuthRecord& client, std::string kid) {
    return std::async(std::launch::async, [this, client, kid] {
      return cache_.FindVerifyKey(client, kid, SigAlg::kES256);
    });
  }

  // Two lookups of `kid` while one fetch is held: A starts the fetch, B arrives during it and
  // must wait for it (B must not be done 200 ms into the held fetch: a cache that answered B
  // without the set would almost surely be by then). Both results, once the fetch is released.
  std::pair<Result<crypto::KeyPtr>, Result<crypto::KeyPtr>> TwoDuringOneFetch(
      const ClientAuthRecord& client, const std::string& kid) {
    gate_.Arm();
    auto entered = gate_.entered();
    ReleaseAtExit release{gate_};
    KeyFuture a = FindAsync(client, kid);
    EXPECT_EQ(entered.wait_for(kPatience), std::future_status::ready);
    KeyFuture b = FindAsync(client, kid);
    EXPECT_EQ(b.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
        << "B answered without waiting for the fetch";
    gate_.Release();
    EXPECT_EQ(a.wait_for(kPatience), std::future_status::ready);
    EXPECT_EQ(b.wait_for(kPatience), std::future_status::ready);
    return {a.get(), b.get()};
  }

  FakeClock clock_{kStart};
  JwksServer server_;
  HttpsFetcher fetcher_;
  GatedFetcher gate_;
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

TEST_F(JwksCacheTest, ExpiredSetIsServedWhileAnotherRequestRefreshesIt) {
  server_.Set(SetOf({&k1_}), "max-age=60");
  auto client = UriClient();
  auto stale = cache_.FindVerifyKey(client, "k1", SigAlg::kES256);
  ASSERT_TRUE(stale.ok()) << stale.status().ToString();
  clock_.AdvanceSeconds(61);
  server_.Set(SetOf({&k1_, &k2_}), "max-age=600");  // the client added k2 meanwhile

  gate_.Arm();
  auto entered = gate_.entered();
  KeyFuture a, b;
  ReleaseAtExit release{gate_};
  a = FindAsync(client, "k1");
  ASSERT_EQ(entered.wait_for(kPatience), std::future_status::ready) << "A refreshes the set";
  b = FindAsync(client, "k1");
  ASSERT_EQ(b.wait_for(kPatience), std::future_status::ready)
      << "B waits for A's fetch instead of using the cached set";
  EXPECT_EQ(a.wait_for(0s), std::future_status::timeout) << "A is still in its fetch";
  auto kb = b.get();
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  EXPECT_EQ(kb->get(), stale->get()) << "B got the key of the expired set";
  EXPECT_EQ(cache_.fetch_count(), 2u) << "B started no fetch of its own";

  gate_.Release();
  ASSERT_EQ(a.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(cache_.FindVerifyKey(client, "k2", SigAlg::kES256).ok()) << "A's new set is used";
  EXPECT_EQ(cache_.fetch_count(), 2u);
  EXPECT_EQ(server_.hits(), 2);
}

TEST_F(JwksCacheTest, UnknownKidDuringAFetchIsNotFoundAtOnce) {
  server_.Set(SetOf({&k1_}), "max-age=3600");
  auto client = UriClient();
  ASSERT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  clock_.AdvanceSeconds(11);  // past the refetch interval
  server_.Set(SetOf({&k1_, &k2_}), "max-age=3600");

  gate_.Arm();
  auto entered = gate_.entered();
  KeyFuture a, b;
  ReleaseAtExit release{gate_};
  a = FindAsync(client, "k2");  // rotated in: A refetches the set
  ASSERT_EQ(entered.wait_for(kPatience), std::future_status::ready) << "A refetches the set";
  b = FindAsync(client, "k9");
  ASSERT_EQ(b.wait_for(kPatience), std::future_status::ready)
      << "B waits for A's fetch instead of answering from the cached set";
  EXPECT_EQ(a.wait_for(0s), std::future_status::timeout) << "A is still in its fetch";
  EXPECT_EQ(b.get().status().code(), Status::Code::kNotFound);
  EXPECT_EQ(cache_.fetch_count(), 2u) << "B started no fetch of its own";

  gate_.Release();
  ASSERT_EQ(a.wait_for(kPatience), std::future_status::ready);
  auto ka = a.get();
  EXPECT_TRUE(ka.ok()) << ka.status().ToString();
  EXPECT_EQ(cache_.fetch_count(), 2u);
  EXPECT_EQ(server_.hits(), 2);
}

// With nothing usable cached there is nothing to answer from: requests that arrive during the
// first fetch (or the fetch of a changed jwks_uri) wait for it and share its result.
TEST_F(JwksCacheTest, RequestsDuringTheFirstFetchWaitForItAndShareIt) {
  server_.Set(SetOf({&k1_}), "max-age=600");
  auto [ka, kb] = TwoDuringOneFetch(UriClient(), "k1");
  ASSERT_TRUE(ka.ok()) << ka.status().ToString();
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  EXPECT_EQ(ka->get(), kb->get()) << "both from the one fetched set";
  EXPECT_EQ(cache_.fetch_count(), 1u);
  EXPECT_EQ(server_.hits(), 1);
}

TEST_F(JwksCacheTest, RequestsDuringTheFetchOfAChangedJwksUriWaitForIt) {
  JwksServer moved;
  server_.Set(SetOf({&k1_}), "max-age=60");
  moved.Set(SetOf({&k2_}), "max-age=600");
  auto client = UriClient();
  ASSERT_TRUE(cache_.FindVerifyKey(client, "k1", SigAlg::kES256).ok());
  client.jwks_uri = moved.url();  // the registry changed the client's jwks_uri
  // B must not answer from the old jwks_uri's set.
  auto [ka, kb] = TwoDuringOneFetch(client, "k2");
  ASSERT_TRUE(ka.ok()) << ka.status().ToString();
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  EXPECT_EQ(cache_.fetch_count(), 2u);
  EXPECT_EQ(moved.hits(), 1);
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

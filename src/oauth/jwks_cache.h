// JwksCache: a client's public keys for verifying its signed requests (client assertions now;
// request objects later), parsed once and kept ready as KeyPtr.
//
// Inline `jwks` from the registration is parsed the first time it is seen and reused while the
// registration's set stays the same. A `jwks_uri` is fetched over HTTPS (https_fetch.h) and kept
// for the response's Cache-Control max-age, bounded to [min_ttl, max_ttl] (default_ttl without
// one; `no-store`/`no-cache` give min_ttl). A kid the cached set lacks makes one immediate
// refetch, at most once per refetch_interval per client (a client rotating keys is served at
// once; a stranger sending random kids cannot make us hammer the client's server). When a
// refresh fails, the previous keys stay in use and the next attempt waits refetch_interval.
// Sets are parsed strictly (crypto/jwk.h); private members are refused.
//
// A request never waits for another request's fetch of a jwks_uri whose set is cached: while
// one request refreshes an expired set, the others are answered from the expired one
// (stale-while-revalidate, cf. RFC 5861), and a kid missing from the cached set during a fetch
// is NotFound at once, so a slow or hostile jwks_uri cannot tie up the callers' worker threads.
// Only with nothing usable cached (first fetch, or a changed jwks_uri) do requests wait for the
// fetch in flight and share its result; the fetcher's timeout bounds that wait.
//
// Thread-safety: safe from any number of threads. At most one fetch per client at a time;
// lookups of cached keys take a shared lock only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/jwk.h"
#include "oauth/client_directory.h"
#include "oauth/https_fetch.h"

namespace idscheme::oauth {

struct JwksCacheOptions {
  int64_t min_ttl_seconds = 60;
  int64_t max_ttl_seconds = 24 * 3600;
  int64_t default_ttl_seconds = 300;
  int64_t refetch_interval_seconds = 10;  // per client, for unknown kids and failed refreshes
  size_t max_clients = 100'000;           // cached clients; past it the cache starts afresh
};

// GETs a URL (HttpsFetcher::Get in production).
using UrlFetcher = std::function<Result<FetchResponse>(std::string_view url)>;

class JwksCache {
 public:
  JwksCache(JwksCacheOptions options, UrlFetcher fetcher, const Clock& clock);

  // The client's key to verify `alg` under `kid` ("" when the token has none: then the single
  // key that suits alg). NotFound (after at most one refetch) when there is none; Unavailable
  // when the jwks_uri cannot be fetched and nothing is cached; InvalidArgument when the client
  // registered no keys or its set is malformed.
  Result<crypto::KeyPtr> FindVerifyKey(const ClientAuthRecord& client, std::string_view kid,
                                       crypto::SigAlg alg);

  // The client's public key to encrypt to with `alg`/`enc` (ID tokens and userinfo responses,
  // OIDC Core §10.2): the first key of its set with use "enc", else the first without a use,
  // whose "alg" is `alg` (or absent) and that suits the algorithms. NotFound when none does.
  Result<crypto::KeyPtr> FindEncryptionKey(const ClientAuthRecord& client, crypto::KeyMgmtAlg alg,
                                           crypto::ContentEnc enc);

  // Drops what is cached for a client (the registry changed its keys).
  void Invalidate(std::string_view client_id);

  // How many fetches were made (tests, metrics).
  uint64_t fetch_count() const;

  // Cache lifetime from a Cache-Control value, bounded by the options.
  int64_t TtlFromCacheControl(std::string_view cache_control) const;

 private:
  struct Keys {
    std::string source_uri;      // jwks_uri the set came from ("" for inline)
    nlohmann::json source_jwks;  // inline set it was parsed from
    crypto::JwkSet set;
    int64_t expires_at_ms = 0;  // jwks_uri: when to refetch
  };
  struct Entry {
    std::mutex fetch_mu;               // one fetch at a time for this client
    std::shared_ptr<const Keys> keys;  // guarded by JwksCache::mu_
    std::string last_fetch_uri;        // guarded by fetch_mu
    int64_t next_fetch_ms = 0;         // guarded by fetch_mu: no fetch of it before this
  };

  std::shared_ptr<Entry> EntryFor(std::string_view client_id);
  std::shared_ptr<const Keys> Load(const Entry& entry) const;
  void Store(Entry& entry, std::shared_ptr<const Keys> keys);
  Result<std::shared_ptr<const Keys>> KeysFor(const ClientAuthRecord& client, Entry& entry);
  // Fetches and stores the set; `forced` (unknown kid) is rate-limited, and so are retries
  // after a failure. `seen` is the set the caller looked at: if another thread replaced it in
  // the meantime, that one is used without a new fetch. While another thread fetches, returns
  // the cached set of the same jwks_uri at once and waits only when there is none.
  Result<std::shared_ptr<const Keys>> Refresh(const ClientAuthRecord& client, Entry& entry,
                                              const Keys* seen, bool forced);

  JwksCacheOptions options_;
  UrlFetcher fetcher_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  std::atomic<uint64_t> fetches_{0};
};

}  // namespace idscheme::oauth

#include "oauth/jwks_cache.h"

#include <algorithm>

#include "common/log.h"
#include "http/request.h"

namespace idscheme::oauth {

JwksCache::JwksCache(JwksCacheOptions options, UrlFetcher fetcher, const Clock& clock)
    : options_(options), fetcher_(std::move(fetcher)), clock_(clock) {}

uint64_t JwksCache::fetch_count() const { return fetches_.load(); }

int64_t JwksCache::TtlFromCacheControl(std::string_view cache_control) const {
  int64_t ttl = options_.default_ttl_seconds;
  size_t pos = 0;
  while (pos <= cache_control.size()) {
    size_t comma = cache_control.find(',', pos);
    if (comma == std::string_view::npos) comma = cache_control.size();
    std::string_view d = cache_control.substr(pos, comma - pos);
    while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
    while (!d.empty() && (d.back() == ' ' || d.back() == '\t')) d.remove_suffix(1);
    // RFC 9111 §5.2.2: no-store / no-cache forbid reuse; we still keep the keys for the
    // shortest time we allow, or a client could make us fetch on every request.
    if (http::EqualsIgnoreCase(d, "no-store") || http::EqualsIgnoreCase(d, "no-cache")) {
      return options_.min_ttl_seconds;
    }
    if (d.size() > 8 && http::EqualsIgnoreCase(d.substr(0, 8), "max-age=")) {
      std::string_view v = d.substr(8);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      int64_t n = 0;
      bool ok = !v.empty();
      for (char c : v) {
        if (c < '0' || c > '9') {
          ok = false;
          break;
        }
        n = std::min<int64_t>(n * 10 + (c - '0'), int64_t{1} << 40);
      }
      if (ok) ttl = n;
    }
    pos = comma + 1;
  }
  return std::clamp(ttl, options_.min_ttl_seconds, options_.max_ttl_seconds);
}

std::shared_ptr<JwksCache::Entry> JwksCache::EntryFor(std::string_view client_id) {
  {
    std::shared_lock lock(mu_);
    auto it = entries_.find(std::string(client_id));
    if (it != entries_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto it = entries_.find(std::string(client_id));
  if (it != entries_.end()) return it->second;
  // A crude bound: far more clients than any scheme has means something is wrong; starting
  // afresh costs one parse or fetch per client.
  if (entries_.size() >= options_.max_clients) entries_.clear();
  auto entry = std::make_shared<Entry>();
  entries_.emplace(std::string(client_id), entry);
  return entry;
}

std::shared_ptr<const JwksCache::Keys> JwksCache::Load(const Entry& entry) const {
  std::shared_lock lock(mu_);
  return entry.keys;
}

void JwksCache::Store(Entry& entry, std::shared_ptr<const Keys> keys) {
  std::unique_lock lock(mu_);
  entry.keys = std::move(keys);
}

void JwksCache::Invalidate(std::string_view client_id) {
  std::unique_lock lock(mu_);
  entries_.erase(std::string(client_id));
}

Result<std::shared_ptr<const JwksCache::Keys>> JwksCache::Refresh(const ClientAuthRecord& client,
                                                                  Entry& entry, const Keys* seen,
                                                                  bool forced) {
  std::unique_lock fetch_lock(entry.fetch_mu, std::try_to_lock);
  if (!fetch_lock.owns_lock()) {
    // Another request is fetching for this client. A set from the same jwks_uri answers at
    // once, expired or lacking the kid (stale-while-revalidate, cf. RFC 5861 §3): a hanging
    // jwks_uri must not park a worker thread per request. With nothing usable cached, wait for
    // that fetch (bounded by the fetcher's timeout) and share its result.
    auto cached = Load(entry);
    if (cached && cached->source_uri == client.jwks_uri) return cached;
    fetch_lock.lock();
  }
  auto current = Load(entry);
  const bool same_uri = current && current->source_uri == client.jwks_uri;
  const int64_t now = clock_.NowMillis();
  // Another request refreshed the set while this one waited: use its result.
  if (same_uri && current.get() != seen && (forced || current->expires_at_ms > now)) {
    return current;
  }
  // At most one fetch of a URL per interval: a request with an unknown kid, or a retry after
  // a failure, within it gets what is cached (or the failure).
  if (entry.last_fetch_uri == client.jwks_uri && now < entry.next_fetch_ms) {
    if (same_uri) return current;
    return Status::Unavailable("client jwks_uri: fetched recently without success");
  }
  entry.last_fetch_uri = client.jwks_uri;
  entry.next_fetch_ms = now + options_.refetch_interval_seconds * 1000;
  fetches_.fetch_add(1);

  auto fail = [&](const Status& s) -> Result<std::shared_ptr<const Keys>> {
    log::Warn("client jwks_uri fetch failed",
              {{"client_id", client.client_id}, {"error", s.message()}});
    if (same_uri) return current;  // keep using the previous keys
    return s;
  };
  auto response = fetcher_(client.jwks_uri);
  if (!response.ok()) return fail(response.status());
  if (response->status != 200) {
    return fail(
        Status::Unavailable("client jwks_uri answered HTTP " + std::to_string(response->status)));
  }
  crypto::JwkSetOptions parse_options;
  parse_options.allow_private = false;
  auto set = crypto::JwkSet::Parse(response->body, parse_options);
  if (!set.ok()) return fail(set.status().WithContext("client jwks_uri"));

  auto keys = std::make_shared<Keys>();
  keys->source_uri = client.jwks_uri;
  keys->set = std::move(set).value();
  keys->expires_at_ms = now + TtlFromCacheControl(response->cache_control) * 1000;
  Store(entry, keys);
  return std::shared_ptr<const Keys>(std::move(keys));
}

Result<std::shared_ptr<const JwksCache::Keys>> JwksCache::KeysFor(const ClientAuthRecord& client,
                                                                  Entry& entry) {
  auto current = Load(entry);
  if (client.jwks.is_object()) {
    if (current && current->source_uri.empty() && current->source_jwks == client.jwks) {
      return current;
    }
    crypto::JwkSetOptions parse_options;
    parse_options.allow_private = false;
    auto set = crypto::JwkSet::FromJson(client.jwks, parse_options);
    if (!set.ok()) return set.status().WithContext("client jwks");
    auto keys = std::make_shared<Keys>();
    keys->source_jwks = client.jwks;
    keys->set = std::move(set).value();
    Store(entry, keys);
    return std::shared_ptr<const Keys>(std::move(keys));
  }
  if (!client.jwks.is_null()) return Status::InvalidArgument("client jwks is not a JWK Set");
  if (client.jwks_uri.empty()) return Status::InvalidArgument("client has no registered keys");
  if (current && current->source_uri == client.jwks_uri &&
      current->expires_at_ms > clock_.NowMillis()) {
    return current;
  }
  return Refresh(client, entry, current.get(), /*forced=*/false);
}

Result<crypto::KeyPtr> JwksCache::FindVerifyKey(const ClientAuthRecord& client,
                                                std::string_view kid, crypto::SigAlg alg) {
  auto entry = EntryFor(client.client_id);
  IDS_ASSIGN_OR_RETURN(auto keys, KeysFor(client, *entry));
  auto key = keys->set.FindForVerify(kid, alg);
  if (key.ok() || key.status().code() != Status::Code::kNotFound || keys->source_uri.empty()) {
    return key;
  }
  // An unknown kid: the client may have rotated its keys since we fetched them.
  IDS_ASSIGN_OR_RETURN(auto fresh, Refresh(client, *entry, keys.get(), /*forced=*/true));
  if (fresh == keys) return key;
  return fresh->set.FindForVerify(kid, alg);
}

Result<crypto::KeyPtr> JwksCache::FindEncryptionKey(const ClientAuthRecord& client,
                                                    crypto::KeyMgmtAlg alg,
                                                    crypto::ContentEnc enc) {
  auto entry = EntryFor(client.client_id);
  IDS_ASSIGN_OR_RETURN(auto keys, KeysFor(client, *entry));
  auto key = keys->set.FindForEncrypt(alg, enc);
  if (key.ok() || key.status().code() != Status::Code::kNotFound) return key;
  return Status::NotFound("client " + client.client_id + " has " + key.status().message());
}

}  // namespace idscheme::oauth

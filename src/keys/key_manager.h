// KeyManager: a node's read view of the scheme's keys, refreshed from the KeyStore.
//
// It answers the hot-path questions (which key signs ES256 now? which key has this kid? what
// is the JWKS?) from an immutable snapshot that Reload() swaps in whole, so readers never wait
// for a reload and never see half of one. The server calls Reload() every
// keys.reload_interval_seconds, which is how a rotation on one node reaches the others.
//
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crypto/jws.h"
#include "keys/key_store.h"

namespace idscheme::keys {

class KeyManager {
 public:
  KeyManager(KeyStore& store, const Clock& clock);

  // Re-reads the published keys. Keeps the previous snapshot if the store fails.
  Status Reload();

  // The active signing key for `alg` (with its kid in metadata), or NotFound.
  Result<crypto::KeyPtr> SigningKey(crypto::SigAlg alg) const;
  // A published key by kid (signing or encryption), to verify what the scheme signed or to
  // decrypt; nullptr if none. A kid not in the snapshot re-reads the store first (at most once
  // a second per node): another node may have rotated since this one's last reload.
  crypto::KeyPtr FindByKid(std::string_view kid) const;
  // Published encryption keys (active first), for decrypting when no kid is given.
  std::vector<crypto::KeyPtr> DecryptionKeys() const;
  // The JWKS document (public keys: next, active, retiring), rendered once per reload.
  std::shared_ptr<const std::string> JwksJson() const;
  // The signing algorithms that have an active key.
  std::vector<std::string> SigningAlgNames() const;
  // Every published record (for `keys list`).
  std::vector<KeyRecord> Records() const;

 private:
  struct Snapshot {
    std::vector<KeyRecord> records;
    std::shared_ptr<const std::string> jwks;
  };
  std::shared_ptr<const Snapshot> Current() const;
  // Reload's work; const so that FindByKid may refresh the snapshot on a miss.
  Status Load() const;
  crypto::KeyPtr Find(const Snapshot& snap, std::string_view kid) const;

  static constexpr int64_t kMissReloadIntervalMs = 1000;

  KeyStore& store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Snapshot> snapshot_;
  mutable std::atomic<int64_t> last_miss_reload_ms_{0};
};

// The key-encryption key from the configuration: keys.kek (base64url), else keys.kek_file, else
// <data_dir>/kek, created (mode 0600) on first use. A PostgreSQL store shared by several nodes
// needs keys.kek or keys.kek_file, the same on every node.
struct KekSource {
  std::string kek_b64;
  std::string kek_file;
  std::string data_dir;
  bool shared_store = false;
};
Result<std::vector<uint8_t>> LoadKek(const KekSource& source, Random& random);
// What LoadKek would refuse, found without creating anything (`idscheme config check`): a
// missing keys.kek_file, an unreadable or malformed key, no key for a PostgreSQL store. A
// <data_dir>/kek not made yet is fine: the first start makes it.
Status CheckKek(const KekSource& source);

}  // namespace idscheme::keys

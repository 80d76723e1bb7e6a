// The scheme's own keys: where they live and how they rotate.
//
// Every key belongs to a slot, one per algorithm the scheme uses: signing slots ES256, PS256,
// RS256, EdDSA, and encryption slots RSA-OAEP-256 and ECDH-ES (for request objects clients
// encrypt to the scheme). A slot holds at most one key in each published state:
//   next      published in the JWKS, not used yet (so relying parties see it before it signs)
//   active    signs (or is the preferred encryption key)
//   retiring  no longer signs; stays published until `remove_after`, when nothing it signed can
//             still be valid
// and any number of `retired` keys, unpublished and with their private half erased.
//
// KeyStore is the seam between that life cycle and where private keys are kept: DbKeyStore
// keeps them in the database, sealed with AES-256-GCM under a key-encryption key (KEK) from the
// configuration; a PKCS#11 store (HSM) can take its place later.
//
// Thread-safety: implementations are safe to call from several threads and processes; a slot
// change is one transaction with a conditional update, so two nodes rotating at once cannot
// both win.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/key.h"
#include "store/database.h"
#include "store/migrations.h"

namespace idscheme::keys {

enum class KeyState { kNext, kActive, kRetiring, kRetired };
std::string_view KeyStateName(KeyState state);

struct Slot {
  std::string name;  // "ES256", "PS256", "RS256", "EdDSA", "RSA-OAEP-256", "ECDH-ES"
  std::string use;   // "sig" or "enc"
};
// The slots a node keeps, in JWKS order.
const std::vector<Slot>& AllSlots();

struct KeyRecord {
  std::string kid;  // RFC 7638 thumbprint
  std::string slot;
  std::string use;
  KeyState state = KeyState::kNext;
  int64_t created_at = 0;
  int64_t activated_at = 0;  // 0 until active
  int64_t remove_after = 0;  // retiring keys: unpublished after this
  crypto::KeyPtr key;        // private key (nullptr for retired keys)
};

// How long relying parties may cache the JWKS (its Cache-Control max-age): a next key must be
// published at least this long, plus a node's keys.reload_interval_seconds, before it signs.
inline constexpr int64_t kJwksCacheSeconds = 300;

struct RotationReport {
  struct SlotChange {
    std::string slot;
    std::string retiring_kid;
    std::string active_kid;
    std::string next_kid;
  };
  std::vector<SlotChange> changes;
  std::vector<std::string> removed_kids;  // retiring keys whose period ended
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Every key in the next, active and retiring states, with its private half. A key whose kid
  // is in `known` is taken from there instead of being unsealed and parsed again (a kid is the
  // key's thumbprint: the same kid is the same key).
  virtual Result<std::vector<KeyRecord>> LoadPublished(const std::vector<KeyRecord>& known) = 0;
  // Creates the active and next keys of every slot that has none (first start).
  virtual Status EnsureInitialized(int64_t now) = 0;
  // Promotes next -> active -> retiring in every slot (or the named ones), creates new next
  // keys, and retires keys whose retiring period is over. Audited. A next key published less
  // than `min_published_seconds` ago is not promoted (FailedPrecondition, naming when it may
  // be): a node or relying party that has not read the JWKS since would refuse what it signs.
  // 0 promotes at once (a compromised key).
  virtual Result<RotationReport> Rotate(const std::vector<std::string>& slots, int64_t now,
                                        int64_t retire_after_seconds,
                                        int64_t min_published_seconds) = 0;
};

class DbKeyStore final : public KeyStore {
 public:
  // `kek`: 32 bytes. `rsa_bits`: size of generated RSA keys.
  DbKeyStore(store::Database& db, std::vector<uint8_t> kek, Random& random, int rsa_bits);

  Result<std::vector<KeyRecord>> LoadPublished(const std::vector<KeyRecord>& known) override;
  Status EnsureInitialized(int64_t now) override;
  Result<RotationReport> Rotate(const std::vector<std::string>& slots, int64_t now,
                                int64_t retire_after_seconds,
                                int64_t min_published_seconds) override;

 private:
  Result<crypto::KeyPtr> Generate(const Slot& slot) const;
  Status Insert(store::Transaction& tx, const Slot& slot, const crypto::KeyPtr& key, KeyState state,
                int64_t now);

  store::Database& db_;
  std::vector<uint8_t> kek_;
  Random& random_;
  int rsa_bits_;
};

// The schema of the key store (versions 200-299).
std::vector<store::Migration> Migrations();

}  // namespace idscheme::keys

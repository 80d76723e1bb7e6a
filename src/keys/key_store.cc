#include "keys/key_store.h"

#include <algorithm>

#include "audit/audit_log.h"
#include "crypto/aead.h"

namespace idscheme::keys {
namespace {

Result<KeyState> ParseState(const std::string& s) {
  if (s == "next") return KeyState::kNext;
  if (s == "active") return KeyState::kActive;
  if (s == "retiring") return KeyState::kRetiring;
  if (s == "retired") return KeyState::kRetired;
  return Status::Internal("unknown key state '" + s + "'");
}

const Slot* FindSlot(std::string_view name) {
  for (const auto& s : AllSlots())
    if (s.name == name) return &s;
  return nullptr;
}

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kActive:
      return "active";
    case KeyState::kRetiring:
      return "retiring";
    case KeyState::kRetired:
      return "retired";
  }
  return "retired";
}

const std::vector<Slot>& AllSlots() {
  static const std::vector<Slot> slots = {
      {"ES256", "sig"}, {"PS256", "sig"},        {"RS256", "sig"},
      {"EdDSA", "sig"}, {"RSA-OAEP-256", "enc"}, {"ECDH-ES", "enc"},
  };
  return slots;
}

DbKeyStore::DbKeyStore(store::Database& db, std::vector<uint8_t> kek, Random& random, int rsa_bits)
    : db_(db), kek_(std::move(kek)), random_(random), rsa_bits_(rsa_bits) {}

Result<crypto::KeyPtr> DbKeyStore::Generate(const Slot& slot) const {
  Result<crypto::KeyPtr> key = Status::Internal("no generator for slot " + slot.name);
  if (slot.name == "ES256" || slot.name == "ECDH-ES") {
    key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  } else if (slot.name == "EdDSA") {
    key = crypto::Key::Generate(crypto::KeyType::kEd25519);
  } else if (slot.name == "PS256" || slot.name == "RS256" || slot.name == "RSA-OAEP-256") {
    key = crypto::Key::GenerateRsa(rsa_bits_);
  }
  if (!key.ok()) return key.status();
  crypto::KeyMetadata meta;
  meta.kid = (*key)->Rfc7638Thumbprint();
  meta.use = slot.use;
  // The EC encryption key serves every ECDH-ES variant, so it names no single alg.
  if (slot.name != "ECDH-ES") meta.alg = slot.name;
  return (*key)->WithMetadata(std::move(meta));
}

Status DbKeyStore::Insert(store::Transaction& tx, const Slot& slot, const crypto::KeyPtr& key,
                          KeyState state, int64_t now) {
  IDS_ASSIGN_OR_RETURN(auto pem, key->ToPem(/*include_private=*/true));
  IDS_ASSIGN_OR_RETURN(auto jwk, key->ToJwk(/*include_private=*/false));
  // The key id is the additional data: a sealed key cannot be moved to another record.
  IDS_ASSIGN_OR_RETURN(auto sealed,
                       crypto::Aes256GcmSeal(kek_, AsBytes(pem), AsBytes(key->kid()), random_));
  return tx
      .Exec(
          "INSERT INTO signing_keys (kid, slot, use, state, created_at, activated_at,"
          " remove_after, public_jwk, private_sealed) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
          {store::Text(key->kid()), store::Text(slot.name), store::Text(slot.use),
           store::Text(std::string(KeyStateName(state))), store::Int(now),
           store::Int(state == KeyState::kActive ? now : 0), store::Text(jwk.dump()),
           store::Bytes(std::move(sealed))})
      .status();
}

Result<std::vector<KeyRecord>> DbKeyStore::LoadPublished(const std::vector<KeyRecord>& known) {
  IDS_ASSIGN_OR_RETURN(
      auto rows,
      db_.Exec("SELECT kid, slot, use, state, created_at, activated_at, remove_after,"
               " private_sealed FROM signing_keys"
               " WHERE state IN ('next', 'active', 'retiring') ORDER BY created_at, kid"));
  std::vector<KeyRecord> out;
  for (const auto& r : rows.rows) {
    KeyRecord k;
    k.kid = r.Text(0);
    k.slot = r.Text(1);
    k.use = r.Text(2);
    IDS_ASSIGN_OR_RETURN(k.state, ParseState(r.Text(3)));
    k.created_at = r.Int(4);
    k.activated_at = r.Int(5);
    k.remove_after = r.Int(6);
    auto same = std::find_if(known.begin(), known.end(),
                             [&](const KeyRecord& o) { return o.kid == k.kid && o.key; });
    if (same != known.end()) {
      k.key = same->key;
      out.push_back(std::move(k));
      continue;
    }
    auto pem = crypto::Aes256GcmOpen(kek_, r.Bytes(7), AsBytes(k.kid));
    if (!pem.ok())
      return Status::FailedPrecondition(
          "cannot unseal key " + k.kid +
          ": wrong key-encryption key (keys.kek / keys.kek_file) for this store?");
    IDS_ASSIGN_OR_RETURN(
        auto key, crypto::Key::FromPem(
                      std::string_view(reinterpret_cast<const char*>(pem->data()), pem->size()),
                      crypto::Key::PemCheck::kAuthenticated));
    crypto::KeyMetadata meta;
    meta.kid = k.kid;
    meta.use = k.use;
    if (k.slot != "ECDH-ES") meta.alg = k.slot;
    k.key = key->WithMetadata(std::move(meta));
    out.push_back(std::move(k));
  }
  return out;
}

Status DbKeyStore::EnsureInitialized(int64_t now) {
  IDS_ASSIGN_OR_RETURN(auto existing,
                       db_.Exec("SELECT DISTINCT slot FROM signing_keys WHERE state = 'active'"));
  std::vector<const Slot*> missing;
  for (const auto& slot : AllSlots()) {
    bool have = false;
    for (const auto& r : existing.rows) have = have || r.Text(0) == slot.name;
    if (!have) missing.push_back(&slot);
  }
  for (const Slot* slot : missing) {
    // Generate outside the transaction: RSA key generation takes a while.
    IDS_ASSIGN_OR_RETURN(auto active, Generate(*slot));
    IDS_ASSIGN_OR_RETURN(auto next, Generate(*slot));
    Status s = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
      IDS_RETURN_IF_ERROR(Insert(tx, *slot, active, KeyState::kActive, now));
      IDS_RETURN_IF_ERROR(Insert(tx, *slot, next, KeyState::kNext, now));
      return audit::Append(tx,
                           {"system",
                            "key.create",
                            slot->name,
                            {{"active", active->kid()}, {"next", next->kid()}}},
                           now * 1000)
          .status();
    });
    // Another node initialised the slot at the same time: its keys stand (unique index on
    // slot + state), ours are dropped.
    if (!s.ok() && s.code() != Status::Code::kAlreadyExists) return s;
  }
  return Status::Ok();
}

Result<RotationReport> DbKeyStore::Rotate(const std::vector<std::string>& slots, int64_t now,
                                          int64_t retire_after_seconds,
                                          int64_t min_published_seconds) {
  std::vector<const Slot*> chosen;
  for (const auto& name : slots) {
    const Slot* slot = FindSlot(name);
    if (!slot) return Status::InvalidArgument("unknown key slot '" + name + "'");
    chosen.push_back(slot);
  }
  if (chosen.empty())
    for (const auto& s : AllSlots()) chosen.push_back(&s);

  std::vector<crypto::KeyPtr> fresh;
  for (const Slot* slot : chosen) {
    IDS_ASSIGN_OR_RETURN(auto k, Generate(*slot));
    fresh.push_back(std::move(k));
  }

  RotationReport report;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    report = {};
    // Keys whose retiring period is over leave the JWKS, and their private half is erased.
    IDS_ASSIGN_OR_RETURN(auto expired,
                         tx.Exec("SELECT kid FROM signing_keys WHERE state = 'retiring'"
                                 " AND remove_after <= ?",
                                 {store::Int(now)}));
    for (const auto& r : expired.rows) report.removed_kids.push_back(r.Text(0));
    IDS_RETURN_IF_ERROR(tx.Exec("UPDATE signing_keys SET state = 'retired', private_sealed = ?"
                                " WHERE state = 'retiring' AND remove_after <= ?",
                                {store::Bytes({}), store::Int(now)})
                            .status());
    for (size_t i = 0; i < chosen.size(); ++i) {
      const Slot& slot = *chosen[i];
      RotationReport::SlotChange change{slot.name, "", "", fresh[i]->kid()};
      IDS_ASSIGN_OR_RETURN(auto cur, tx.Exec("SELECT kid, state, created_at FROM signing_keys WHERE"
                                             " slot = ? AND state IN ('active', 'next')",
                                             {store::Text(slot.name)}));
      std::string active, next;
      int64_t next_published = 0;
      for (const auto& r : cur.rows) {
        if (r.Text(1) == "active") {
          active = r.Text(0);
        } else {
          next = r.Text(0);
          next_published = r.Int(2);
        }
      }
      if (active.empty() || next.empty())
        return Status::FailedPrecondition("slot " + slot.name +
                                          " is not initialised (start the server once)");
      // The next key signs from now on: everyone who verifies must have seen it published.
      if (now - next_published < min_published_seconds) {
        const int64_t wait = next_published + min_published_seconds - now;
        return Status::FailedPrecondition("slot " + slot.name + ": its next key was published " +
                                          std::to_string(now - next_published) +
                                          " s ago, and nodes and relying parties may "
                                          "not have read it yet (they may keep the JWKS " +
                                          std::to_string(min_published_seconds) +
                                          " s); rotate again in " + std::to_string(wait) + " s");
      }
      // Conditional updates: if another node rotated meanwhile, nothing matches and we stop.
      IDS_ASSIGN_OR_RETURN(auto a,
                           tx.Exec("UPDATE signing_keys SET state = 'retiring',"
                                   " remove_after = ? WHERE kid = ? AND state = 'active'",
                                   {store::Int(now + retire_after_seconds), store::Text(active)}));
      IDS_ASSIGN_OR_RETURN(auto n, tx.Exec("UPDATE signing_keys SET state = 'active',"
                                           " activated_at = ? WHERE kid = ? AND state = 'next'",
                                           {store::Int(now), store::Text(next)}));
      if (a.affected != 1 || n.affected != 1)
        return Status::Unavailable("slot " + slot.name + " was rotated concurrently");
      IDS_RETURN_IF_ERROR(Insert(tx, slot, fresh[i], KeyState::kNext, now));
      change.retiring_kid = active;
      change.active_kid = next;
      IDS_RETURN_IF_ERROR(
          audit::Append(tx,
                        {"operator",
                         "key.rotate",
                         slot.name,
                         {{"retiring", active}, {"active", next}, {"next", fresh[i]->kid()}}},
                        now * 1000)
              .status());
      report.changes.push_back(change);
    }
    return Status::Ok();
  }));
  return report;
}

std::vector<store::Migration> Migrations() {
  return {
      {200, "signing keys",
       "CREATE TABLE signing_keys ("
       " kid TEXT PRIMARY KEY, slot TEXT NOT NULL, use TEXT NOT NULL, state TEXT NOT NULL,"
       " created_at BIGINT NOT NULL, activated_at BIGINT NOT NULL, remove_after BIGINT NOT NULL,"
       " public_jwk TEXT NOT NULL, private_sealed BLOB NOT NULL);"
       // At most one next and one active key per slot, whichever node writes.
       "CREATE UNIQUE INDEX signing_keys_slot_state ON signing_keys (slot, state)"
       " WHERE state IN ('next', 'active');"},
  };
}

}  // namespace idscheme::keys

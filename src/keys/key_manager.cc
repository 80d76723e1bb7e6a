#include "keys/key_manager.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "common/base64url.h"
#include "common/log.h"

namespace idscheme::keys {

namespace {

// A retiring key past its removal time is out of the JWKS and no longer used for anything, even
// before the next rotation erases it from the store.
bool StillPublished(const KeyRecord& r, int64_t now) {
  return r.state != KeyState::kRetiring || r.remove_after > now;
}

}  // namespace

KeyManager::KeyManager(KeyStore& store, const Clock& clock)
    : store_(store), clock_(clock), snapshot_(std::make_shared<Snapshot>()) {}

std::shared_ptr<const KeyManager::Snapshot> KeyManager::Current() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

Status KeyManager::Reload() { return Load(); }

Status KeyManager::Load() const {
  std::vector<KeyRecord> known;
  if (auto current = Current()) known = current->records;
  IDS_ASSIGN_OR_RETURN(auto records, store_.LoadPublished(known));
  const int64_t now = clock_.NowSeconds();
  auto next = std::make_shared<Snapshot>();
  nlohmann::json keys = nlohmann::json::array();
  // JWKS order: by slot, then active, next, retiring — so the first key of a kind is the one
  // in use, for clients that pick the first match.
  for (KeyState state : {KeyState::kActive, KeyState::kNext, KeyState::kRetiring}) {
    for (const auto& slot : AllSlots()) {
      for (const auto& r : records) {
        if (r.slot != slot.name || r.state != state) continue;
        if (!StillPublished(r, now)) continue;
        auto jwk = r.key->ToJwk(/*include_private=*/false);
        if (!jwk.ok()) return jwk.status();
        keys.push_back(*jwk);
      }
    }
  }
  next->jwks = std::make_shared<const std::string>(nlohmann::json{{"keys", keys}}.dump());
  next->records = std::move(records);
  std::lock_guard lock(mu_);
  snapshot_ = std::move(next);
  return Status::Ok();
}

Result<crypto::KeyPtr> KeyManager::SigningKey(crypto::SigAlg alg) const {
  auto snap = Current();
  std::string_view name = crypto::SigAlgName(alg);
  for (const auto& r : snap->records)
    if (r.state == KeyState::kActive && r.use == "sig" && r.slot == name) return r.key;
  return Status::NotFound("no active signing key for " + std::string(name));
}

crypto::KeyPtr KeyManager::Find(const Snapshot& snap, std::string_view kid) const {
  const int64_t now = clock_.NowSeconds();
  for (const auto& r : snap.records)
    if (r.kid == kid && StillPublished(r, now)) return r.key;
  return nullptr;
}

crypto::KeyPtr KeyManager::FindByKid(std::string_view kid) const {
  if (crypto::KeyPtr key = Find(*Current(), kid)) return key;
  // Unknown here: perhaps a key another node just made active (keys rotate --force). One
  // caller a second re-reads; the others answer from the snapshot they have, so forged kids
  // cannot make a node read its keys more often than that.
  const int64_t now_ms = clock_.NowMillis();
  int64_t last = last_miss_reload_ms_.load();
  if (now_ms - last < kMissReloadIntervalMs ||
      !last_miss_reload_ms_.compare_exchange_strong(last, now_ms))
    return nullptr;
  if (!Load().ok()) return nullptr;  // the periodic reload logs store failures
  return Find(*Current(), kid);
}

std::vector<crypto::KeyPtr> KeyManager::DecryptionKeys() const {
  auto snap = Current();
  const int64_t now = clock_.NowSeconds();
  std::vector<crypto::KeyPtr> out;
  for (KeyState state : {KeyState::kActive, KeyState::kNext, KeyState::kRetiring})
    for (const auto& r : snap->records)
      if (r.use == "enc" && r.state == state && StillPublished(r, now)) out.push_back(r.key);
  return out;
}

std::shared_ptr<const std::string> KeyManager::JwksJson() const {
  auto snap = Current();
  if (!snap->jwks) return std::make_shared<const std::string>("{\"keys\":[]}");
  return snap->jwks;
}

std::vector<std::string> KeyManager::SigningAlgNames() const {
  auto snap = Current();
  std::vector<std::string> out;
  for (const auto& slot : AllSlots())
    for (const auto& r : snap->records)
      if (r.slot == slot.name && r.use == "sig" && r.state == KeyState::kActive)
        out.push_back(slot.name);
  return out;
}

std::vector<KeyRecord> KeyManager::Records() const { return Current()->records; }

namespace {

// The key-encryption key as configured, found without creating anything: nullopt when it is
// the generated <data_dir>/kek of a first start, not there yet.
Result<std::optional<std::vector<uint8_t>>> ReadKek(const KekSource& source, std::string* path) {
  auto decode = [](std::string_view text,
                   const std::string& where) -> Result<std::optional<std::vector<uint8_t>>> {
    auto bytes = Base64UrlDecode(text);
    if (!bytes.ok() || bytes->size() != 32)
      return Status::InvalidArgument(where + ": must be 32 bytes, base64url without padding");
    return std::optional<std::vector<uint8_t>>(std::move(bytes).value());
  };
  if (!source.kek_b64.empty()) return decode(source.kek_b64, "keys.kek");
  *path = source.kek_file;
  if (path->empty()) {
    if (source.shared_store || source.data_dir.empty())
      return Status::InvalidArgument(
          "keys.kek or keys.kek_file is required with a PostgreSQL store (every node needs the "
          "same key-encryption key)");
    *path = source.data_dir + "/kek";
  }
  std::error_code ec;
  if (!std::filesystem::exists(*path, ec)) {
    // A file the operator named is never replaced by a new key: the private keys sealed with
    // the real one would be lost to this node.
    if (!source.kek_file.empty())
      return Status::InvalidArgument("keys.kek_file: " + *path + " does not exist");
    return std::optional<std::vector<uint8_t>>();
  }
  const std::string where = "keys.kek_file: " + *path;  // its default is <data_dir>/kek
  if (std::filesystem::is_directory(*path, ec))
    return Status::InvalidArgument(where + " is a directory");
  std::ifstream in(*path);
  if (!in) {
    return Status::Unavailable(where + ": cannot read: " + std::generic_category().message(errno));
  }
  std::string text;
  std::getline(in, text);
  if (!in && !in.eof()) return Status::Unavailable(where + ": cannot read");
  return decode(text, where);
}

}  // namespace

Status CheckKek(const KekSource& source) {
  std::string path;
  return ReadKek(source, &path).status();
}

Result<std::vector<uint8_t>> LoadKek(const KekSource& source, Random& random) {
  std::string path;
  IDS_ASSIGN_OR_RETURN(auto existing, ReadKek(source, &path));
  if (existing) return std::move(*existing);
  std::error_code ec;
  std::vector<uint8_t> kek(32);
  random.Fill(kek);
  std::filesystem::create_directories(source.data_dir, ec);
  // Created with mode 0600 from the start: never readable by others, not even briefly.
  std::string tmp = path + ".tmp";
  mode_t old = ::umask(077);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << Base64UrlEncode(kek) << "\n";
    if (!out) {
      ::umask(old);
      return Status::Unavailable("cannot write " + tmp);
    }
  }
  ::umask(old);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Unavailable("cannot create " + path + ": " + ec.message());
  log::Info("created a key-encryption key", {{"file", path}});
  return kek;
}

}  // namespace idscheme::keys

#include "approval/devices.h"

#include <argon2.h>

#include <array>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "approval/jcs.h"
#include "audit/audit_log.h"
#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/json.h"

namespace idscheme::approval {
namespace {

using store::Int;
using store::Text;

constexpr size_t kSaltBytes = 16;
constexpr size_t kVerifierBytes = 32;
constexpr size_t kMaxNameChars = 64;

constexpr std::string_view kDeviceColumns =
    "id, identity_id, name, public_jwk, jwk_thumbprint, status, pin_failures, created_at,"
    " updated_at, last_used_at, pin_salt, pin_verifier, pin_t_cost, pin_m_cost_kib,"
    " pin_parallelism";

Result<std::vector<uint8_t>> Argon2id(std::span<const uint8_t> input, std::span<const uint8_t> salt,
                                      const PinParams& params) {
  std::vector<uint8_t> out(kVerifierBytes);
  const int rc =
      argon2id_hash_raw(params.t_cost, params.m_cost_kib, params.parallelism, input.data(),
                        input.size(), salt.data(), salt.size(), out.data(), out.size());
  if (rc != ARGON2_OK) {
    return Status::Internal(std::string("argon2id: ") + argon2_error_message(rc));
  }
  return out;
}

Status ValidateName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("device name: empty");
  if (!Canonicalize(nlohmann::json(std::string(name))).ok()) {
    return Status::InvalidArgument("device name: invalid UTF-8");
  }
  size_t chars = 0;
  for (char c : name) {
    const auto u = static_cast<uint8_t>(c);
    if (u < 0x20 || u == 0x7F) return Status::InvalidArgument("device name: control character");
    if ((u & 0xC0) != 0x80) ++chars;
  }
  if (chars > kMaxNameChars) return Status::InvalidArgument("device name: longer than 64");
  return Status::Ok();
}

Result<std::vector<uint8_t>> DecodePinInput(std::string_view pin_input) {
  auto bytes = Base64UrlDecode(pin_input);
  if (!bytes.ok() || bytes->size() != kPinInputBytes) {
    return Status::InvalidArgument("pin_input: must be base64url of 32 bytes");
  }
  return std::move(bytes).value();
}

std::optional<DeviceStatus> ParseDeviceStatus(std::string_view name) {
  if (name == "active") return DeviceStatus::kActive;
  if (name == "locked") return DeviceStatus::kLocked;
  if (name == "removed") return DeviceStatus::kRemoved;
  return std::nullopt;
}

// Parsed device keys by their stored JWK text. Building an OpenSSL key from a JWK (with its
// on-curve check) costs about as much as the ECDSA verification itself, and the approval path
// needs the key on every call; the text is the canonical JWK written at enrolment and never
// changed, so equal text means the same key. Least recently used ones go first.
class DeviceKeyCache {
 public:
  static DeviceKeyCache& Instance() {
    static auto* cache = new DeviceKeyCache();
    return *cache;
  }

  Result<crypto::KeyPtr> Get(const std::string& jwk_text) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(jwk_text);
      if (it != index_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        return it->second->second;
      }
    }
    IDS_ASSIGN_OR_RETURN(auto jwk, crypto::ParseJsonObjectStrict(jwk_text));
    IDS_ASSIGN_OR_RETURN(crypto::KeyPtr key, crypto::Key::FromPublicJwk(jwk));
    std::lock_guard<std::mutex> lock(mu_);
    if (index_.count(jwk_text) == 0) {
      order_.emplace_front(jwk_text, key);
      index_.emplace(jwk_text, order_.begin());
      if (order_.size() > kCapacity) {
        index_.erase(order_.back().first);
        order_.pop_back();
      }
    }
    return key;
  }

 private:
  static constexpr size_t kCapacity = 4096;  // about 1 KB of OpenSSL key each
  std::mutex mu_;
  std::list<std::pair<std::string, crypto::KeyPtr>> order_;  // most recently used first
  std::unordered_map<std::string, std::list<std::pair<std::string, crypto::KeyPtr>>::iterator>
      index_;
};

Result<Device> DeviceFromRow(const store::Row& row) {
  Device d;
  d.id = row.Text(0);
  d.identity_id = row.Text(1);
  d.name = row.Text(2);
  IDS_ASSIGN_OR_RETURN(d.public_key, DeviceKeyCache::Instance().Get(row.Text(3)));
  d.jwk_thumbprint = row.Text(4);
  auto status = ParseDeviceStatus(row.Text(5));
  if (!status) return Status::Internal("approval_devices: unknown status");
  d.status = *status;
  d.pin_failures = static_cast<int>(row.Int(6));
  d.created_at_ms = row.Int(7);
  d.updated_at_ms = row.Int(8);
  if (!row.IsNull(9)) d.last_used_at_ms = row.Int(9);
  d.pin.salt = row.Bytes(10);
  d.pin.verifier = row.Bytes(11);
  d.pin.params = {static_cast<uint32_t>(row.Int(12)), static_cast<uint32_t>(row.Int(13)),
                  static_cast<uint32_t>(row.Int(14))};
  return d;
}

}  // namespace

namespace {

// The identity's pending actions, cancelled by `decided_by` when `device_id` was its last active
// device (nobody can approve them any more: the browser learns it now rather than at expiry).
Result<int64_t> CancelPendingWithoutDevice(store::Transaction& tx, std::string_view identity_id,
                                           std::string_view device_id, int64_t now_ms,
                                           std::string_view decided_by,
                                           std::string_view audit_action) {
  // Another active device can still approve them: then nothing is cancelled.
  IDS_ASSIGN_OR_RETURN(auto others,
                       tx.Exec("SELECT COUNT(*) FROM approval_devices WHERE identity_id = ?"
                               " AND status = 'active' AND id <> ?",
                               {Text(std::string(identity_id)), Text(std::string(device_id))}));
  if (others.rows[0].Int(0) > 0) return int64_t{0};
  IDS_ASSIGN_OR_RETURN(
      auto r, tx.Exec("UPDATE approval_actions SET state = 'cancelled', decided_at = ?,"
                      " decided_by = ? WHERE identity_id = ? AND state = 'pending'"
                      " AND expires_at > ?",
                      {Int(now_ms), Text(std::string(decided_by)), Text(std::string(identity_id)),
                       Int(now_ms / 1000)}));
  if (r.affected > 0) {
    IDS_RETURN_IF_ERROR(
        audit::Append(tx,
                      {std::string(decided_by),
                       std::string(audit_action),
                       std::string(device_id),
                       {{"identity_id", std::string(identity_id)}, {"cancelled", r.affected}}},
                      now_ms)
            .status());
  }
  return r.affected;
}

}  // namespace

Result<int64_t> CancelPendingOfLockedDevice(store::Transaction& tx, std::string_view identity_id,
                                            std::string_view device_id, int64_t now_ms) {
  return CancelPendingWithoutDevice(tx, identity_id, device_id, now_ms, kDecidedByDeviceLocked,
                                    "approval.cancel_locked");
}

std::string_view DeviceStatusName(DeviceStatus status) {
  switch (status) {
    case DeviceStatus::kActive:
      return "active";
    case DeviceStatus::kLocked:
      return "locked";
    case DeviceStatus::kRemoved:
      return "removed";
  }
  return "removed";
}

nlohmann::json Device::ToJson() const {
  nlohmann::json j = {{"id", id},
                      {"name", name},
                      {"status", DeviceStatusName(status)},
                      {"jwk_thumbprint", jwk_thumbprint},
                      {"created_at", created_at_ms}};
  if (last_used_at_ms) j["last_used_at"] = *last_used_at_ms;
  return j;
}

Status PinRefused() {
  return Status::OAuth("access_denied", "the device or its PIN was refused",
                       Status::Code::kUnauthenticated);
}

Devices::Devices(store::Database& db, const Clock& clock, Random& random,
                 ActivationRedeemer& redeemer, DeviceOptions options)
    : db_(db), clock_(clock), random_(random), redeemer_(redeemer), options_(options) {}

Result<Device> LoadDevice(store::Executor& db, std::string_view device_id) {
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec(std::string("SELECT ") + std::string(kDeviceColumns) +
                                           " FROM approval_devices WHERE id = ?",
                                       {Text(std::string(device_id))}));
  if (r.rows.empty()) return Status::NotFound("no such device");
  return DeviceFromRow(r.rows[0]);
}

Result<Device> Devices::Enrol(const Enrolment& enrolment) {
  IDS_RETURN_IF_ERROR(ValidateName(enrolment.name));
  if (!enrolment.public_jwk.is_object()) {
    return Status::InvalidArgument("public_jwk: must be a JSON object");
  }
  auto key = crypto::Key::FromPublicJwk(enrolment.public_jwk);
  if (!key.ok()) return key.status().WithContext("public_jwk");
  if ((*key)->type() != crypto::KeyType::kEcP256) {
    return Status::InvalidArgument("public_jwk: must be an EC P-256 key");
  }
  // RFC 7517 §4.2, §4.4: a key declared for another use or algorithm would fail every proof and
  // approval it signs; say so now rather than enrol a device that can never act.
  const crypto::KeyMetadata& declared = (*key)->metadata();
  if (!declared.alg.empty() && declared.alg != "ES256")
    return Status::InvalidArgument("public_jwk: alg must be ES256 when present");
  if (!declared.use.empty() && declared.use != "sig")
    return Status::InvalidArgument("public_jwk: use must be sig when present");
  IDS_ASSIGN_OR_RETURN(auto pin_input, DecodePinInput(enrolment.pin_input));
  if (enrolment.activation_code.empty()) {
    return Status::InvalidArgument("activation_code: missing");
  }

  IDS_ASSIGN_OR_RETURN(auto public_jwk, (*key)->ToJwk(false));
  IDS_ASSIGN_OR_RETURN(std::string jwk_text, Canonicalize(public_jwk));
  std::vector<uint8_t> salt(kSaltBytes);
  random_.Fill(salt);
  // The slow part runs before the transaction, so it holds no write slot.
  IDS_ASSIGN_OR_RETURN(auto verifier, Argon2id(pin_input, salt, options_.pin));

  Device device;
  device.id = "dev_" + random_.Token(16);
  device.name = enrolment.name;
  device.public_key = *key;
  device.jwk_thumbprint = (*key)->Rfc7638Thumbprint();
  device.created_at_ms = device.updated_at_ms = clock_.NowMillis();

  Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(device.identity_id, redeemer_.Redeem(tx, enrolment.activation_code));
    // Active devices only: a locked one approves nothing and waits for this very enrolment
    // (docs/pin.md), so it must not hold a place the person needs to get back in.
    IDS_ASSIGN_OR_RETURN(
        auto count,
        tx.Exec("SELECT COUNT(*) FROM approval_devices WHERE identity_id = ? AND status = "
                "'active'",
                {Text(device.identity_id)}));
    if (count.rows[0].Int(0) >= options_.max_devices_per_identity) {
      return Status::ResourceExhausted("too many devices enrolled for this person");
    }
    IDS_RETURN_IF_ERROR(
        tx.Exec(
              "INSERT INTO approval_devices (id, identity_id, name, public_jwk, jwk_thumbprint,"
              " pin_salt, pin_verifier, pin_t_cost, pin_m_cost_kib, pin_parallelism,"
              " pin_failures, status, created_at, updated_at)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'active', ?, ?)",
              {Text(device.id), Text(device.identity_id), Text(device.name), Text(jwk_text),
               Text(device.jwk_thumbprint), store::Bytes(salt), store::Bytes(verifier),
               Int(options_.pin.t_cost), Int(options_.pin.m_cost_kib),
               Int(options_.pin.parallelism), Int(device.created_at_ms), Int(device.updated_at_ms)})
            .status());
    return audit::Append(tx,
                         {"device:" + device.id,
                          "device.enrol",
                          device.id,
                          {{"identity_id", device.identity_id},
                           {"jwk_thumbprint", device.jwk_thumbprint},
                           {"name", device.name}}},
                         device.created_at_ms)
        .status();
  });
  if (!st.ok()) return st;
  return device;
}

Status Devices::VerifyPin(std::string_view device_id, std::string_view pin_input) {
  auto device = LoadDevice(db_, device_id);
  if (!device.ok()) {
    if (device.status().code() != Status::Code::kNotFound) return device.status();
    (void)CheckPin(Device{}, pin_input);  // the same work, then the same refusal
    return PinRefused();
  }
  IDS_ASSIGN_OR_RETURN(PinCheck check, CheckPin(*device, pin_input));
  return SettlePin(check);
}

Result<PinCheck> Devices::CheckPin(const Device& device, std::string_view pin_input_text) {
  auto pin_input = DecodePinInput(pin_input_text);
  if (!pin_input.ok()) return PinRefused();
  PinCheck check;
  check.device_id = device.id;
  check.max_failures = options_.max_pin_failures;
  const bool active = device.status == DeviceStatus::kActive && !device.pin.verifier.empty();
  if (!active) {
    // Unknown, locked or removed: spend the same work as a real check, then no match.
    static constexpr std::array<uint8_t, kSaltBytes> kDummySalt{};
    (void)Argon2id(*pin_input, kDummySalt, options_.pin);
    return check;
  }
  IDS_ASSIGN_OR_RETURN(auto computed, Argon2id(*pin_input, device.pin.salt, device.pin.params));
  check.match = crypto::ConstantTimeEquals(computed, device.pin.verifier);
  const PinParams& have = device.pin.params;
  const PinParams& want = options_.pin;
  if (check.match && (have.t_cost != want.t_cost || have.m_cost_kib != want.m_cost_kib ||
                      have.parallelism != want.parallelism)) {
    // A verifier made with other parameters (docs/pin.md: the default changed) is made again
    // with the configured ones now that the right input is at hand.
    StoredPin remade{std::vector<uint8_t>(kSaltBytes), {}, want};
    random_.Fill(remade.salt);
    auto verifier = Argon2id(*pin_input, remade.salt, want);
    if (verifier.ok()) {
      remade.verifier = std::move(verifier).value();
      check.remade = std::move(remade);
    }
  }
  return check;
}

Status Devices::SettlePin(const PinCheck& check, store::DeferredOnce* request_once) {
  const int64_t now = clock_.NowMillis();
  bool replayed = false;
  bool right = false;
  Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    if (request_once != nullptr) {
      IDS_ASSIGN_OR_RETURN(bool first, request_once->AcceptIn(tx));
      replayed = !first;
      if (replayed) return PinRefused();  // rolls back; records nothing
    }
    IDS_ASSIGN_OR_RETURN(right, RecordPin(tx, check, now));
    return Status::Ok();
  });
  if (!st.ok()) return replayed ? PinRefused() : st;
  if (request_once != nullptr) request_once->Committed();
  return right ? Status::Ok() : PinRefused();
}

Result<bool> RecordPin(store::Transaction& tx, const PinCheck& check, int64_t now_ms) {
  const std::string& id = check.device_id;
  if (check.match) {
    std::string sql =
        "UPDATE approval_devices SET pin_failures = 0, last_used_at = ?, updated_at = ?";
    std::vector<store::Value> args = {Int(now_ms), Int(now_ms)};
    if (check.remade) {
      const StoredPin& p = *check.remade;
      sql +=
          ", pin_salt = ?, pin_verifier = ?, pin_t_cost = ?, pin_m_cost_kib = ?,"
          " pin_parallelism = ?";
      args.insert(args.end(), {store::Bytes(p.salt), store::Bytes(p.verifier), Int(p.params.t_cost),
                               Int(p.params.m_cost_kib), Int(p.params.parallelism)});
    }
    // Locked, removed, or at the limit through failures recorded since the check: refused.
    sql += " WHERE id = ? AND status = 'active' AND pin_failures < ?";
    args.insert(args.end(), {Text(id), Int(check.max_failures)});
    IDS_ASSIGN_OR_RETURN(auto r, tx.Exec(sql, args));
    return r.affected == 1;
  }
  IDS_ASSIGN_OR_RETURN(auto failed,
                       tx.Exec("UPDATE approval_devices SET pin_failures = pin_failures + 1,"
                               " updated_at = ? WHERE id = ? AND status = 'active'"
                               " AND pin_failures < ? RETURNING pin_failures, identity_id",
                               {Int(now_ms), Text(id), Int(check.max_failures)}));
  if (failed.rows.empty()) return false;  // unknown, locked or removed: nothing to count
  IDS_RETURN_IF_ERROR(
      audit::Append(tx, {"device:" + id, "device.pin_failure", id, {}}, now_ms).status());
  if (failed.rows[0].Int(0) >= check.max_failures) {
    // SCHEME.md: five wrong PINs in a row lock the app until re-enrolment.
    IDS_RETURN_IF_ERROR(tx.Exec("UPDATE approval_devices SET status = 'locked', updated_at = ?"
                                " WHERE id = ?",
                                {Int(now_ms), Text(id)})
                            .status());
    IDS_RETURN_IF_ERROR(
        audit::Append(tx,
                      {"system",
                       "device.lock",
                       id,
                       {{"reason", "consecutive PIN failures"}, {"failures", check.max_failures}}},
                      now_ms)
            .status());
    IDS_RETURN_IF_ERROR(
        CancelPendingOfLockedDevice(tx, failed.rows[0].Text(1), id, now_ms).status());
  }
  return false;
}

Result<Device> Devices::Get(std::string_view device_id) { return LoadDevice(db_, device_id); }

Result<std::vector<Device>> Devices::List(std::string_view identity_id) {
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec(std::string("SELECT ") + std::string(kDeviceColumns) +
                                            " FROM approval_devices WHERE identity_id = ?"
                                            " AND status <> 'removed' ORDER BY created_at, id",
                                        {Text(std::string(identity_id))}));
  std::vector<Device> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    IDS_ASSIGN_OR_RETURN(auto d, DeviceFromRow(row));
    out.push_back(std::move(d));
  }
  return out;
}

Status Devices::Remove(std::string_view identity_id, std::string_view device_id,
                       std::string_view actor) {
  const int64_t now = clock_.NowMillis();
  return store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(
        auto r, tx.Exec("UPDATE approval_devices SET status = 'removed', updated_at = ?"
                        " WHERE id = ? AND identity_id = ? AND status <> 'removed'",
                        {Int(now), Text(std::string(device_id)), Text(std::string(identity_id))}));
    if (r.affected != 1) return Status::NotFound("no such device");
    // The actor may be a registrar or the operator (issue 4): the entry names whose device it was.
    IDS_RETURN_IF_ERROR(audit::Append(tx,
                                      {std::string(actor),
                                       "device.remove",
                                       std::string(device_id),
                                       {{"identity_id", std::string(identity_id)}}},
                                      now)
                            .status());
    // The last active device gone: the person's pending requests end now, as at a lock.
    return CancelPendingWithoutDevice(tx, identity_id, device_id, now, kDecidedByDeviceRemoved,
                                      "approval.cancel_removed")
        .status();
  });
}

}  // namespace idscheme::approval

// Devices: the phone apps a person has enrolled, each with its P-256 device key and a PIN
// verifier, and the PIN check with its lock-out (SCHEME.md, "Security and anti-phishing").
//
// Enrolment redeems a registrar's one-time activation code (through ActivationRedeemer, which
// the identity part implements) in the same transaction that stores the device, so a code is
// spent exactly when a device is enrolled with it.
//
// The PIN never reaches the server: the app sends a 32-byte device-side derivation of it
// (docs/pin.md), and the server keeps only Argon2id(derivation, per-device salt). A check
// (CheckPin) writes nothing; its verdict counts once RecordPin wrote it, in one statement that
// also requires the count of consecutive failures to be below the limit, so even parallel
// guesses get no more verdicts than the limit allows. The fifth consecutive wrong PIN locks the
// device (PSD2 RTS Art. 4(3)(a): at most five), and a locked device refuses even the right PIN
// until the person enrols again with a new activation code. A correct PIN resets the count. Every
// refusal — wrong PIN, locked, removed or unknown device — is the same PinRefused() status, and an
// unknown device still costs one Argon2id computation, so neither the answer nor its timing tells
// which factor failed.
//
// When a device locks and its person has no other active device, the person's pending actions
// are cancelled in the lock's transaction (decided_by kDecidedByDeviceLocked), so the browser's
// waiting page shows the "locked" outcome at once instead of waiting for the expiry. With another
// active device they stay pending: that device can still approve or deny them.
//
// Every change (enrol, lock, remove) is written with its audit entry in one transaction. PIN
// failures are audited as they happen; PINs and their derivations are never logged.
//
// Thread-safety: Devices is stateless apart from the store; safe from any thread. The
// ActivationRedeemer must be safe from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/key.h"
#include "store/database.h"
#include "store/once.h"

namespace idscheme::approval {

// Redeems a registrar's one-time activation code. Implemented by the identity part.
class ActivationRedeemer {
 public:
  virtual ~ActivationRedeemer() = default;
  // The identity id the code was issued for, spent inside `tx` (a second redemption of the same
  // code must fail, also from another process). Unknown, spent or expired codes are errors.
  virtual Result<std::string> Redeem(store::Transaction& tx, std::string_view code) = 0;
};

// Argon2id cost of the server's PIN verifier. Its input is already a 256-bit value derived on
// the phone with a secret salt and a memory-hard Argon2id (docs/pin.md), so the server's hash
// needs no memory-hardness of its own: the default is light (t=1, 64 KiB, about 45 µs), which
// lets a node verify thousands of approvals per second. The parameters are stored per device, so
// old verifiers keep working; a right PIN re-makes a verifier that has other parameters than the
// configured ones.
struct PinParams {
  uint32_t t_cost = 1;
  uint32_t m_cost_kib = 64;
  uint32_t parallelism = 1;
};

struct DeviceOptions {
  PinParams pin;
  int max_pin_failures = 5;  // PSD2 RTS Art. 4(3)(a): no more than five
  int max_devices_per_identity = 10;
};

// `decided_by` of the actions cancelled because their person's last active device locked; the
// login pages show the "locked" outcome for them.
inline constexpr std::string_view kDecidedByDeviceLocked = "system:device_locked";
// decided_by of the pending actions cancelled when their person's last active device was
// removed (by the person from another device, a registrar or the operator).
inline constexpr std::string_view kDecidedByDeviceRemoved = "system:device_removed";

// The length of the app's PIN derivation (docs/pin.md), in bytes.
inline constexpr size_t kPinInputBytes = 32;

enum class DeviceStatus { kActive, kLocked, kRemoved };
std::string_view DeviceStatusName(DeviceStatus status);  // "active", "locked", "removed"

// A device's PIN verifier as stored (docs/pin.md). Never logged, never sent to the app.
struct StoredPin {
  std::vector<uint8_t> salt;
  std::vector<uint8_t> verifier;
  PinParams params;
};

struct Device {
  std::string id;  // "dev_" + random
  std::string identity_id;
  std::string name;
  crypto::KeyPtr public_key;   // EC P-256
  std::string jwk_thumbprint;  // RFC 7638
  DeviceStatus status = DeviceStatus::kActive;
  int pin_failures = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> last_used_at_ms;
  StoredPin pin;

  // {"id", "name", "status", "jwk_thumbprint", "created_at", "last_used_at"?} (milliseconds)
  nlohmann::json ToJson() const;
};

// A PIN checked against a device's verifier, not yet counted: RecordPin writes the verdict.
struct PinCheck {
  std::string device_id;
  bool match = false;
  int max_failures = 5;  // the limit RecordPin keeps the count below
  // A right PIN whose verifier was made with other parameters than the configured ones: the
  // verifier made again with the configured ones, for RecordPin to store.
  std::optional<StoredPin> remade;
};

struct Enrolment {
  std::string activation_code;
  nlohmann::json public_jwk;  // a public EC P-256 JWK made on the device
  std::string name;           // 1..64 characters, e.g. "Anna's phone"
  std::string pin_input;      // base64url of the kPinInputBytes derivation (docs/pin.md)
};

// The one refusal of VerifyPin, whatever the cause.
Status PinRefused();

class Devices {
 public:
  Devices(store::Database& db, const Clock& clock, Random& random, ActivationRedeemer& redeemer,
          DeviceOptions options = {});

  Result<Device> Enrol(const Enrolment& enrolment);

  // OK when the device is active and `pin_input` (base64url) matches; else PinRefused(): the
  // device as stored now, CheckPin and SettlePin.
  Status VerifyPin(std::string_view device_id, std::string_view pin_input);
  // Checks `pin_input` (base64url) against `device`'s verifier, with no write: the verdict
  // counts once RecordPin (inside an approval's transaction) or SettlePin wrote it. A device
  // that is not active is checked against nothing, at the same cost, and does not match. A
  // malformed input is PinRefused() at once, and is not counted.
  Result<PinCheck> CheckPin(const Device& device, std::string_view pin_input);
  // RecordPin in a transaction of its own: OK when the PIN counted as right, else PinRefused().
  // `request_once` (may be null): a value the request must accept once (the device proof's jti),
  // accepted in the same transaction. When it was used before, nothing is recorded, the answer
  // is PinRefused() and `request_once` stays pending.
  Status SettlePin(const PinCheck& check, store::DeferredOnce* request_once = nullptr);

  // Any device, whatever its status; NotFound when unknown.
  Result<Device> Get(std::string_view device_id);
  // The identity's devices that are not removed (active and locked), oldest first.
  Result<std::vector<Device>> List(std::string_view identity_id);
  // Removes one of `identity_id`'s devices (the person from the app, or a registrar/operator,
  // named by `actor` as in audit::Event). Removed devices approve nothing. NotFound when the
  // device is unknown, already removed or someone else's.
  Status Remove(std::string_view identity_id, std::string_view device_id, std::string_view actor);

  const DeviceOptions& options() const { return options_; }

 private:
  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  ActivationRedeemer& redeemer_;
  DeviceOptions options_;
};

// Inside the transaction that locked `device_id`: when `identity_id` has no other active
// device, cancels its pending, unexpired actions (kDecidedByDeviceLocked), audited once
// ("approval.cancel_locked"). Returns how many.
Result<int64_t> CancelPendingOfLockedDevice(store::Transaction& tx, std::string_view identity_id,
                                            std::string_view device_id, int64_t now_ms);

// Writes a PIN check's verdict inside `tx`, at `now_ms`. A right PIN resets the count (and
// stores a remade verifier): true, unless the device is no longer active or its count reached
// the limit since the check (false, nothing written). A wrong one counts as a failure, audited,
// and the failure that reaches the limit locks the device (with CancelPendingOfLockedDevice):
// false. Whatever a check found, its verdict is written only while the count is below the
// limit, by the statement that compares it, so parallel checks add no verdict past the limit.
Result<bool> RecordPin(store::Transaction& tx, const PinCheck& check, int64_t now_ms);

// Reads a device inside an existing transaction or on a Database (for the approval path).
Result<Device> LoadDevice(store::Executor& db, std::string_view device_id);

}  // namespace idscheme::approval

// The reference app's device state: what a phone keeps after enrolment, in one JSON file
// written with mode 0600 (`idscheme app --state FILE`).
//
//   {"version": 1, "server": "http://127.0.0.1:8080", "device_id": "dev_...",
//    "device_salt": b64u(32 bytes), "pin_params": {"t", "m", "p"},
//    "public_jwk": {...}, "sealed_key": b64u(AES-256-GCM(wrap_key, private JWK))}
//
// The private device key is sealed under wrap_key (pin_derivation.h), with the device id as
// associated data, so the file alone does not give the key: every use needs the PIN, and a wrong
// PIN fails to open it before anything is sent (docs/pin.md).
//
// Thread-safety: value types and stateless functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/pin_derivation.h"
#include "approval/devices.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/key.h"

namespace idscheme::app {

struct DeviceState {
  std::string server;
  std::string device_id;
  std::vector<uint8_t> device_salt;
  approval::PinParams pin_params = kDevicePinParams;  // the device side: never the server's
  nlohmann::json public_jwk;
  std::vector<uint8_t> sealed_key;

  nlohmann::json ToJson() const;
  static Result<DeviceState> FromJson(const nlohmann::json& j);
};

// Seals `private_key` under `wrap_key` into state.sealed_key (state.device_id must be set).
Status SealDeviceKey(DeviceState& state, const crypto::Key& private_key,
                     std::span<const uint8_t> wrap_key, Random& random);
// The private key; Unauthenticated when `wrap_key` (the PIN) is wrong.
Result<crypto::KeyPtr> OpenDeviceKey(const DeviceState& state, std::span<const uint8_t> wrap_key);

// Reads / writes the state file (written to a temporary file with mode 0600, then renamed).
Result<DeviceState> LoadDeviceState(const std::string& path);
Status SaveDeviceState(const std::string& path, const DeviceState& state);

}  // namespace idscheme::app

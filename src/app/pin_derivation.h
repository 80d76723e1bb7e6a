// The app's side of the PIN design (docs/pin.md): from the PIN and the device's own salt, the
// `pin_input` the server verifies and the `wrap_key` that encrypts the device key at rest.
//
//   k         = Argon2id(PIN, device_salt, t, m, p, 64 bytes)
//   pin_input = HKDF-SHA256(k, "", "idscheme pin server v1", 32)
//   wrap_key  = HKDF-SHA256(k, "", "idscheme pin wrap v1",   32)
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "approval/devices.h"
#include "common/status.h"

namespace idscheme::app {

inline constexpr size_t kDeviceSaltBytes = 32;

struct PinKeys {
  std::vector<uint8_t> pin_input;  // kPinInputBytes, sent (base64url) to the server
  std::vector<uint8_t> wrap_key;   // 32 bytes, never leaves the device
};

// The production device-side cost (docs/pin.md) and a cheap one for tests and demos only.
inline constexpr approval::PinParams kDevicePinParams{3, 64 * 1024, 1};
inline constexpr approval::PinParams kTestDevicePinParams{1, 8, 1};

Result<PinKeys> DerivePinKeys(std::string_view pin, std::span<const uint8_t> device_salt,
                              const approval::PinParams& params);

}  // namespace idscheme::app

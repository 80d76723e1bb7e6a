#include "app/pin_derivation.h"

#include <argon2.h>

#include <string>

#include "crypto/hash.h"

namespace idscheme::app {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

Result<PinKeys> DerivePinKeys(std::string_view pin, std::span<const uint8_t> device_salt,
                              const approval::PinParams& params) {
  if (pin.empty()) return Status::InvalidArgument("PIN: empty");
  if (device_salt.size() != kDeviceSaltBytes) return Status::InvalidArgument("device salt size");
  std::vector<uint8_t> k(64);
  const int rc =
      argon2id_hash_raw(params.t_cost, params.m_cost_kib, params.parallelism, pin.data(),
                        pin.size(), device_salt.data(), device_salt.size(), k.data(), k.size());
  if (rc != ARGON2_OK)
    return Status::Internal(std::string("argon2id: ") + argon2_error_message(rc));
  PinKeys out;
  IDS_ASSIGN_OR_RETURN(out.pin_input, crypto::HkdfSha256(k, {}, Bytes("idscheme pin server v1"),
                                                         approval::kPinInputBytes));
  IDS_ASSIGN_OR_RETURN(out.wrap_key, crypto::HkdfSha256(k, {}, Bytes("idscheme pin wrap v1"), 32));
  return out;
}

}  // namespace idscheme::app

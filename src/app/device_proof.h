// The device proof: how the app authenticates every device API call after enrolment, by signing
// a fresh, one-time JWT with its device key. Shaped after DPoP (RFC 9449 §4.2), bound to the
// request's method and URL, without an access token: the device key itself is the credential.
//
//   Authorization: Device <JWT>
//   header  {"typ": "idscheme-device+jwt", "alg": "ES256", "kid": "<device id>"}   (nothing else)
//   claims  {"htm": "<method>", "htu": "<URL without query or fragment>",
//            "iat": <seconds>, "jti": "<16..64 characters of [A-Za-z0-9_-]>"}      (nothing else)
//
// The server checks, in order: the header (ParseDeviceProof), that the device is known and
// active, the signature with its enrolled key, htm and htu, iat within ±leeway of now, and that
// the (device, jti) pair was never seen before (accepted once in the store, so it holds across
// nodes; CheckAndConsume in device_api.cc).
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"
#include "crypto/jws.h"
#include "crypto/key.h"

namespace idscheme::app {

inline constexpr std::string_view kDeviceProofTyp = "idscheme-device+jwt";
inline constexpr std::string_view kDeviceAuthScheme = "Device";
inline constexpr size_t kMaxDeviceProofBytes = 4096;

struct DeviceProof {
  std::string device_id;  // the header's kid
  crypto::ParsedJws jws;
};

struct DeviceProofClaims {
  std::string htm;
  std::string htu;
  int64_t iat = 0;
  std::string jti;
};

// The proof from an Authorization header value ("Device <JWT>", scheme case-insensitive).
// Unauthenticated (invalid_token) when absent or malformed.
Result<DeviceProof> ParseDeviceAuthorization(std::string_view header_value);
// The compact JWT's header, strictly (typ, alg ES256 and kid; no other member).
Result<DeviceProof> ParseDeviceProof(std::string_view jwt);
// The claims set, strictly (exactly htm, htu, iat, jti, well-formed).
Result<DeviceProofClaims> ParseDeviceProofClaims(std::string_view payload);

// Verifies the signature with `device_key` and the claims against the request:
// htm == method, htu == url, |iat - now| <= leeway_seconds. The jti is the caller's to consume.
Result<DeviceProofClaims> VerifyDeviceProof(const DeviceProof& proof, const crypto::Key& device_key,
                                            std::string_view method, std::string_view url,
                                            int64_t now, int64_t leeway_seconds);

// What the app sends: a proof for one request, signed with the device's private key.
Result<std::string> MakeDeviceProof(const crypto::Key& device_key, std::string_view device_id,
                                    std::string_view method, std::string_view url, int64_t now,
                                    Random& random);

}  // namespace idscheme::app

// Fuzz target: the device API's parsers of what strangers send (app/device_proof.h,
// app/device_api.h, app/qr.h). The input is tried as an Authorization header value, as a bare
// device proof JWT, as a proof's claims set, as a JSON body (enrolment and approval) and as QR
// content. Promises kept: every refusal is a clean Status (401 invalid_token for proofs, a field
// named for bodies); an accepted enrolment has exactly its four members; an accepted QR content
// names the action id it carries.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/device_api.h"
#include "app/device_proof.h"
#include "app/qr.h"
#include "crypto/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (auto proof : {app::ParseDeviceAuthorization(text), app::ParseDeviceProof(text)}) {
    if (!proof.ok()) {
      if (proof.status().oauth_error() != "invalid_token") std::abort();
      continue;
    }
    if (proof->device_id.empty() || proof->jws.typ != app::kDeviceProofTyp) std::abort();
  }
  auto claims = app::ParseDeviceProofClaims(text);
  if (claims.ok() && (claims->jti.size() < 16 || claims->htm.empty() ||
                      claims->htu.find('?') != std::string::npos))
    std::abort();

  if (auto body = crypto::ParseJsonStrict(text); body.ok()) {
    auto enrolment = app::ParseEnrolment(*body);
    if (enrolment.ok()) {
      if (body->size() != 4 || enrolment->activation_code.empty() ||
          !enrolment->public_jwk.is_object())
        std::abort();
    } else if (enrolment.status().message().find(": ") == std::string::npos) {
      std::abort();
    }
    auto approve = app::ParseApproveBody(*body);
    if (!approve.ok() && approve.status().message().find(": ") == std::string::npos) std::abort();
  }

  static FakeClock clock(1'700'000'000);
  static const app::QrCodes qr(std::vector<uint8_t>(32, 1), clock);
  if (auto id = qr.Verify(text); id.ok()) {
    const std::string prefix = std::string(app::kQrPrefix) + *id + ":";
    if (id->empty() || text.substr(0, prefix.size()) != prefix) std::abort();
  }
  return 0;
}

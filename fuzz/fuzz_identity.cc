// Fuzz target: the identity part's JSON body parsers and value checks (identity/attributes.h,
// identity/sim_bindings.h). Input is JSON text, as the registrar and SIM controller APIs receive
// it; it goes through every body parser. Promises kept: a refusal names its field, an accepted
// identity serialises to a body that is accepted again as the same thing, and the raw text as
// a date, time, phone number or activation code is judged consistently.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/json.h"
#include "identity/attributes.h"
#include "identity/identities.h"
#include "identity/internal/fields.h"
#include "identity/sim_bindings.h"

namespace {

constexpr int64_t kNow = 1'700'000'000;

void RequireField(const idscheme::Status& s) {
  if (!s.ok() && s.message().find(": ") == std::string::npos &&
      s.message().rfind("nothing to update", 0) != 0)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idscheme::identity;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto day = internal::ParseDate(text); day && text.size() != 10) std::abort();
  if (auto t = internal::ParseDateTime(text); t && internal::FormatDateTime(*t) != text)
    std::abort();
  if (internal::IsE164(text) && (text.size() > 16 || text[0] != '+')) std::abort();
  if (auto code = NormalizeActivationCode(text)) {
    if (code->size() != 20 || NormalizeActivationCode(*code) != code) std::abort();
  }
  (void)IsValidIccid(text);

  auto json = idscheme::crypto::ParseJsonStrict(text);
  if (!json.ok()) return 0;

  auto created = ParseNewIdentity(*json);
  RequireField(created.status());
  if (created.ok()) {
    idscheme::Status valid = ValidateNewIdentity(*created, kNow);
    RequireField(valid);
    if (valid.ok()) {
      nlohmann::json body = created->attributes.ToJson();
      body["evidence"] = created->evidence.ToJson();
      auto again = ParseNewIdentity(body);
      if (!again.ok() || !(again->attributes == created->attributes) ||
          !(again->evidence == created->evidence) || !ValidateNewIdentity(*again, kNow).ok())
        std::abort();
    }
  }
  auto update = ParseIdentityUpdate(*json);
  RequireField(update.status());
  if (update.ok()) RequireField(ValidateIdentityUpdate(*update, kNow));
  RequireField(ParseNewBinding(*json).status());
  RequireField(ParseSimEvent(*json).status());
  return 0;
}

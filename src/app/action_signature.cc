#include "app/action_signature.h"

#include "approval/jcs.h"
#include "common/base64url.h"
#include "crypto/hash.h"
#include "crypto/jws.h"

namespace idscheme::app {

Result<std::string> SignActionDigest(const crypto::Key& key, const nlohmann::json& action,
                                     std::string_view verification_code) {
  if (!action.is_object() || !action.contains("digest_input") ||
      !action["digest_input"].is_object())
    return Status::Unavailable("the action has no digest_input");
  nlohmann::json input = action["digest_input"];
  input["verification_code"] = std::string(verification_code);
  IDS_ASSIGN_OR_RETURN(std::string canonical, approval::Canonicalize(input));
  const auto digest = crypto::Sha256(canonical);
  IDS_ASSIGN_OR_RETURN(auto signature, crypto::SignBytes(crypto::SigAlg::kES256, key, digest));
  return Base64UrlEncode(signature);
}

}  // namespace idscheme::app

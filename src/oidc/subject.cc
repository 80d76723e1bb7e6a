#include "oidc/subject.h"

#include "common/base64url.h"
#include "crypto/hash.h"

namespace idscheme::oidc {

std::string PairwiseSubject(std::span<const uint8_t> secret, std::string_view sector,
                            std::string_view identity_id) {
  std::string input;
  input.reserve(sector.size() + 1 + identity_id.size());
  input.append(sector);
  input.push_back('\0');
  input.append(identity_id);
  return Base64UrlEncode(crypto::HmacSha256(secret, input));
}

Result<std::string> SubjectFor(const registry::ClientAuthRecord& client,
                               std::string_view identity_id, std::span<const uint8_t> secret) {
  if (identity_id.empty()) return Status::Internal("subject: empty identity id");
  // OIDC Core §8: subject_type public gives every client the same sub.
  if (client.metadata.subject_type == "public") return std::string(identity_id);
  if (secret.size() < kMinSubjectSecretBytes)
    return Status::Internal("subject: pairwise secret shorter than 32 bytes");
  // OIDC Core §8.1: the sector identifier (host) decides; the registry computes it once.
  if (client.sector_identifier.empty())
    return Status::Internal("subject: pairwise client " + client.client_id + " has no sector");
  return PairwiseSubject(secret, client.sector_identifier, identity_id);
}

}  // namespace idscheme::oidc

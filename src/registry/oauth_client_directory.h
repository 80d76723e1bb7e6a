// The registry as src/oauth sees it: oauth::ClientDirectory (oauth/client_directory.h) over the
// registry's own ClientDirectory, so client authentication, the token endpoint and the bearer
// check read members and clients straight from the registry's tables.
//
// Mapping worth knowing:
//  - member_active is false when the member or its reseller is not active;
//  - member_status_changed_at (seconds) is the last time the client, its member or its reseller
//    was switched off (suspended, terminated, deleted), rounded up to the next second, so a
//    token issued before a suspension stays refused after a reinstatement (a token issued in the
//    same second as the switch-off is refused too: the safe side), and one issued right after a
//    reinstatement is not. Never switched off gives 0 (creation and reinstatement do not count);
//  - scopes are the client's registered scope values; member_role the role's name.
//
// Thread-safety: as the wrapped directory (the registry's is safe from any thread).
#pragma once

#include <string_view>

#include "oauth/client_directory.h"
#include "registry/client_directory.h"

namespace idscheme::registry {

oauth::ClientAuthRecord ToOAuthRecord(const ClientAuthRecord& record);

class OAuthClientDirectory final : public oauth::ClientDirectory {
 public:
  explicit OAuthClientDirectory(registry::ClientDirectory& directory) : directory_(directory) {}
  Result<oauth::ClientAuthRecord> FindClient(std::string_view client_id) override;

 private:
  registry::ClientDirectory& directory_;
};

}  // namespace idscheme::registry

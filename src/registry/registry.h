// The scheme's member registry: members, their agreements, their clients and the policy, over the
// store, and the schema they keep (migrations 300-399).
//
// Registry bundles the parts for the server and the CLI; each part is usable alone. It is also
// the production ClientDirectory (client_directory.h) for client authentication.
//
// Suspension and termination take effect at once: MemberStatusOf is a single indexed query
// without a cache, and FindClient's cache is dropped by any registry write of any process on the
// SQLite file (the store's ChangeEpoch); a PostgreSQL store has no ChangeEpoch, so nodes on it
// keep nothing and read every time. Either way the next request on any node sees the change.
//
// Thread-safety: safe from any thread once constructed; register status hooks (hooks()) before
// the first change.
#pragma once

#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "registry/agreement.h"
#include "registry/client.h"
#include "registry/client_directory.h"
#include "registry/member.h"
#include "registry/policy.h"
#include "store/database.h"
#include "store/migrations.h"

namespace idscheme::registry {

class Registry final : public ClientDirectory {
 public:
  Registry(store::Database& db, const Clock& clock, Random& random)
      : members_(db, clock, random, hooks_),
        agreements_(db, clock),
        clients_(db, clock, random, hooks_),
        policy_(db, clock, clients_, members_, agreements_) {}

  Members& members() { return members_; }
  Agreements& agreements() { return agreements_; }
  Clients& clients() { return clients_; }
  Policy& policy() { return policy_; }
  StatusHooks& hooks() { return hooks_; }

  // The member's own status (its reseller's is in Members::StandingOf). NotFound when unknown.
  Result<MemberStatus> MemberStatusOf(std::string_view member_id);
  // What the client can do now (EffectiveClientStatus), its member's standing read from the store.
  Result<std::string> EffectiveStatusOf(const Client& client);
  Result<ClientAuthRecord> FindClient(std::string_view client_id) override {
    return clients_.FindClient(client_id);
  }

 private:
  StatusHooks hooks_;
  Members members_;
  Agreements agreements_;
  Clients clients_;
  Policy policy_;
};

// What a client with status `own` of a member of `member` standing can do now: "active" only
// when the client, its member and the member's reseller all are; otherwise what switched it off,
// the client's own status first: "suspended" or "deleted", else "member_suspended",
// "member_terminated", "reseller_suspended" or "reseller_terminated".
std::string EffectiveClientStatus(ClientStatus own, const MemberStanding& member);

// The registry's schema, versions 300-399 (run after the store's, audit's and keys').
std::vector<store::Migration> Migrations();

}  // namespace idscheme::registry

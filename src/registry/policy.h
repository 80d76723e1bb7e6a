// The policy: the one place that answers "may this member / client do this, now?".
//
// Every endpoint that acts for a member (authorization, CIBA, token, the registrar and admin
// APIs) asks Check() before acting, and answers a denial with decision.status (an OAuth error
// and a reason). Check() reads the current state from the store each time (no cache), so a
// suspension takes effect on the next request, and audits every denial ("policy.deny").
//
// The rules, in the order they run (each denial names its rule):
//   known_client       the client_id exists                       invalid_client
//   client_active      the client is active                       access_denied
//   member_active      its member (and the member's reseller) are active   access_denied
//   member_role        the member has the role the endpoint needs access_denied
//   service_allowed    the (effective) agreement lists the service unauthorized_client
//   scope_registered   each requested scope value is in the client's registered scope
//                                                                 invalid_scope
//   claims_allowed     each requested claim is in the agreement: the allowed subset is
//                      returned; the rest is refused (the request fails) or dropped, as the
//                      agreement says                             invalid_scope
//   level_allowed      the assurance level is in the agreement    access_denied
// A store failure denies too, with temporarily_unavailable (and is not audited: there is no
// store to write to).
//
// Thread-safety: Policy is stateless apart from the store and safe from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "registry/agreement.h"
#include "registry/client.h"
#include "registry/member.h"
#include "store/database.h"

namespace idscheme::registry {

struct PolicyRequest {
  std::string client_id;     // the client acting; empty when a member acts without one
  std::string member_id;     // used when client_id is empty; else, if set, must be the client's
  std::optional<Role> role;  // the role the endpoint requires
  std::optional<Service> service;   // the service asked for
  std::vector<std::string> scopes;  // requested scope values
  std::vector<std::string> claims;  // requested claims (from scope and the claims parameter)
  std::optional<AssuranceLevel> assurance_level;
};

struct Decision {
  Status status;     // OK when allowed; else the OAuth error to answer with and the reason
  std::string rule;  // the rule that denied ("member_active"), empty when allowed
  std::string member_id;
  std::string client_id;
  AgreementTerms terms;                     // the effective agreement (when it was read)
  std::vector<std::string> allowed_claims;  // the requested claims that may be released
  std::vector<std::string> refused_claims;  // requested claims outside the agreement
  bool dropped = false;  // refused_claims were dropped silently (the request goes on)

  bool allowed() const { return status.ok(); }
};

class Policy {
 public:
  Policy(store::Database& db, const Clock& clock, Clients& clients, Members& members,
         Agreements& agreements)
      : db_(db), clock_(clock), clients_(clients), members_(members), agreements_(agreements) {}

  // Evaluates the rules and audits a denial.
  Decision Check(const PolicyRequest& request);
  // Evaluates the rules without writing anything (previews, tests).
  Decision Evaluate(const PolicyRequest& request);
  // Writes a "policy.deny" audit entry for `decision` (actor "client:<id>" or "member:<id>";
  // details: rule, error, reason, service, refused claims). For callers that deny for reasons
  // of their own after an allowed Check, pass a Decision with their status and rule.
  // The same denial (actor, subject and details alike) is written once per minute per process:
  // its repeats in that minute are counted, and the next entry written for it carries the count
  // ("repeated"), so a caller hammering a route it may not use cannot grow the log without
  // bound.
  Status AuditDenial(const PolicyRequest& request, const Decision& decision);

  static constexpr int64_t kDenialWindowMs = 60 * 1000;

 private:
  struct DenialSeen {
    int64_t window_start_ms = 0;
    int64_t repeated = 0;  // suppressed since the last entry written
  };
  // True when this denial is to be written now; `repeated` is then the count to carry.
  bool ShouldWriteDenial(const std::string& key, int64_t now_ms, int64_t* repeated);

  std::mutex denials_mu_;
  std::unordered_map<std::string, DenialSeen> denials_;

  store::Database& db_;
  const Clock& clock_;
  Clients& clients_;
  Members& members_;
  Agreements& agreements_;
};

}  // namespace idscheme::registry

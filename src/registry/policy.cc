#include "registry/policy.h"

#include <algorithm>
#include <array>
#include <set>

#include "audit/audit_log.h"
#include "common/log.h"
#include "registry/claims.h"
#include "registry/internal/fields.h"

namespace idscheme::registry {

using json = nlohmann::json;

namespace {

// What the rules share while one request is checked.
struct Context {
  const PolicyRequest& request;
  Decision& decision;
  Clients& clients;
  Members& members;
  Agreements& agreements;
  std::optional<ClientAuthRecord> client;
  Role role = Role::kServiceProvider;
  bool terms_loaded = false;
};

Status Deny(std::string_view error, std::string reason,
            Status::Code code = Status::Code::kPermissionDenied) {
  return Status::OAuth(std::string(error), std::move(reason), code);
}

Status NeedTerms(Context& c) {
  if (c.terms_loaded) return Status::Ok();
  IDS_ASSIGN_OR_RETURN(c.decision.terms, c.agreements.Effective(c.decision.member_id));
  c.terms_loaded = true;
  return Status::Ok();
}

Status KnownClient(Context& c) {
  if (c.request.client_id.empty()) {
    if (c.request.member_id.empty()) return Deny("invalid_request", "no client and no member");
    c.decision.member_id = c.request.member_id;
    return Status::Ok();
  }
  auto record = c.clients.FindClient(c.request.client_id);
  if (!record.ok() && record.status().code() == Status::Code::kNotFound)
    return Deny("invalid_client", "unknown client " + c.request.client_id,
                Status::Code::kUnauthenticated);
  IDS_RETURN_IF_ERROR(record.status());
  c.client = std::move(record).value();
  if (!c.request.member_id.empty() && c.request.member_id != c.client->member_id)
    return Deny("unauthorized_client",
                "client " + c.client->client_id + " does not belong to " + c.request.member_id);
  c.decision.member_id = c.client->member_id;
  c.role = c.client->member_role;
  return Status::Ok();
}

Status ClientActive(Context& c) {
  if (!c.client || c.client->client_status == ClientStatus::kActive) return Status::Ok();
  // RFC 6749 §4.1.2.1: the authorization server denies the request (unauthorized_client is
  // about the client's registered flow, not its standing).
  return Deny("access_denied", "client " + c.client->client_id + " is " +
                                   std::string(ClientStatusName(c.client->client_status)));
}

Status MemberActive(Context& c) {
  MemberStatus status;
  std::optional<MemberStatus> reseller;
  if (c.client) {
    status = c.client->member_status;
    reseller = c.client->reseller_status;
  } else {
    auto standing = c.members.StandingOf(c.decision.member_id);
    if (!standing.ok() && standing.status().code() == Status::Code::kNotFound)
      return Deny("access_denied", "unknown member " + c.decision.member_id);
    IDS_RETURN_IF_ERROR(standing.status());
    status = standing->status;
    reseller = standing->reseller_status;
    c.role = standing->role;
  }
  // RFC 6749 §4.1.2.1: access_denied, as for an inactive client.
  if (status != MemberStatus::kActive)
    return Deny("access_denied",
                "member " + c.decision.member_id + " is " + std::string(MemberStatusName(status)));
  if (reseller && *reseller != MemberStatus::kActive)
    return Deny("access_denied", "the reseller of member " + c.decision.member_id + " is " +
                                     std::string(MemberStatusName(*reseller)));
  return Status::Ok();
}

Status MemberRole(Context& c) {
  if (!c.request.role || *c.request.role == c.role) return Status::Ok();
  return Deny("access_denied", "member " + c.decision.member_id + " has the role " +
                                   std::string(RoleName(c.role)) + ", not " +
                                   std::string(RoleName(*c.request.role)));
}

Status ServiceAllowed(Context& c) {
  if (!c.request.service) return Status::Ok();
  IDS_RETURN_IF_ERROR(NeedTerms(c));
  if (c.decision.terms.Allows(*c.request.service)) return Status::Ok();
  return Deny("unauthorized_client", "the agreement of member " + c.decision.member_id +
                                         " does not include the " +
                                         std::string(ServiceName(*c.request.service)) + " service");
}

Status ScopeRegistered(Context& c) {
  if (c.request.scopes.empty() || !c.client) return Status::Ok();
  const auto registered = c.client->metadata.Scopes();
  std::vector<std::string> outside;
  for (const auto& s : c.request.scopes) {
    if (std::find(registered.begin(), registered.end(), s) == registered.end())
      outside.push_back(s);
  }
  if (outside.empty()) return Status::Ok();
  return Deny("invalid_scope",
              "scope not registered for client " + c.client->client_id + ": " +
                  internal::JoinNames(outside),
              Status::Code::kInvalidArgument);
}

Status ClaimsAllowed(Context& c) {
  if (c.request.claims.empty()) return Status::Ok();
  IDS_RETURN_IF_ERROR(NeedTerms(c));
  std::set<std::string> seen;
  for (const auto& claim : c.request.claims) {
    if (!seen.insert(claim).second) continue;
    // A claim the catalogue does not know is outside every agreement.
    if (IsKnownClaim(claim) && c.decision.terms.AllowsClaim(claim)) {
      c.decision.allowed_claims.push_back(claim);
    } else {
      c.decision.refused_claims.push_back(claim);
    }
  }
  if (c.decision.refused_claims.empty()) return Status::Ok();
  if (c.decision.terms.outside_claims == OutsideClaims::kDrop) {
    c.decision.dropped = true;
    return Status::Ok();
  }
  return Deny("invalid_scope",
              "claims outside the agreement of member " + c.decision.member_id + ": " +
                  internal::JoinNames(c.decision.refused_claims),
              Status::Code::kInvalidArgument);
}

Status LevelAllowed(Context& c) {
  if (!c.request.assurance_level) return Status::Ok();
  IDS_RETURN_IF_ERROR(NeedTerms(c));
  if (c.decision.terms.AllowsLevel(*c.request.assurance_level)) return Status::Ok();
  return Deny("access_denied",
              "the agreement of member " + c.decision.member_id + " does not include the " +
                  std::string(AssuranceLevelName(*c.request.assurance_level)) + " assurance level");
}

using Rule = Status (*)(Context&);
// The rules in the order they run (see policy.h).
constexpr std::array<std::pair<std::string_view, Rule>, 8> kRules = {{
    {"known_client", KnownClient},
    {"client_active", ClientActive},
    {"member_active", MemberActive},
    {"member_role", MemberRole},
    {"service_allowed", ServiceAllowed},
    {"scope_registered", ScopeRegistered},
    {"claims_allowed", ClaimsAllowed},
    {"level_allowed", LevelAllowed},
}};

}  // namespace

Decision Policy::Evaluate(const PolicyRequest& request) {
  Decision d;
  d.client_id = request.client_id;
  Context c{request, d, clients_, members_, agreements_};
  for (const auto& [name, rule] : kRules) {
    Status s = rule(c);
    if (s.ok()) continue;
    d.rule = std::string(name);
    // A rule's error without an OAuth code is the store failing: deny, but say so.
    d.status = s.oauth_error().empty()
                   ? Status::OAuth("temporarily_unavailable", "the registry is unavailable",
                                   Status::Code::kUnavailable)
                   : s;
    if (s.oauth_error().empty()) log::Warn("policy: store failed", {{"error", s.message()}});
    d.allowed_claims.clear();
    return d;
  }
  return d;
}

Decision Policy::Check(const PolicyRequest& request) {
  Decision d = Evaluate(request);
  if (!d.allowed() && d.status.code() != Status::Code::kUnavailable) {
    Status s = AuditDenial(request, d);
    if (!s.ok()) log::Warn("policy: denial not audited", {{"error", s.message()}});
  }
  return d;
}

Status Policy::AuditDenial(const PolicyRequest& request, const Decision& d) {
  std::string actor =
      !request.client_id.empty() ? "client:" + request.client_id : "member:" + request.member_id;
  json details = {
      {"rule", d.rule}, {"error", d.status.oauth_error()}, {"reason", d.status.message()}};
  if (!request.client_id.empty()) details["client_id"] = request.client_id;
  if (request.service) details["service"] = ServiceName(*request.service);
  if (request.assurance_level)
    details["assurance_level"] = AssuranceLevelName(*request.assurance_level);
  if (!d.refused_claims.empty()) details["refused_claims"] = d.refused_claims;
  std::string subject = !d.member_id.empty() ? d.member_id : request.client_id;
  // Requests carry strangers' strings: keep only what the JSON encoder can write.
  for (auto& [k, v] : details.items()) {
    if (v.is_string() && !internal::IsValidUtf8(v.get<std::string>())) v = "?";
  }
  if (details.contains("refused_claims")) {
    for (auto& v : details["refused_claims"]) {
      if (!internal::IsValidUtf8(v.get<std::string>())) v = "?";
    }
  }
  if (!internal::IsValidUtf8(actor)) actor = "client:?";
  if (!internal::IsValidUtf8(subject)) subject = "?";
  const int64_t now_ms = clock_.NowMillis();
  int64_t repeated = 0;
  if (!ShouldWriteDenial(actor + "\n" + subject + "\n" + details.dump(), now_ms, &repeated))
    return Status::Ok();
  if (repeated > 0) details["repeated"] = repeated;
  return audit::AppendNow(db_, {actor, "policy.deny", subject, details}, now_ms).status();
}

bool Policy::ShouldWriteDenial(const std::string& key, int64_t now_ms, int64_t* repeated) {
  std::lock_guard lock(denials_mu_);
  auto it = denials_.find(key);
  if (it != denials_.end() && now_ms - it->second.window_start_ms < kDenialWindowMs) {
    ++it->second.repeated;
    return false;
  }
  if (it == denials_.end()) {
    // Bounded: forget the windows that ended; if every one is current, start over (the worst
    // case is then one entry per kind and minute more, never an unbounded map).
    constexpr size_t kMaxKinds = 4096;
    if (denials_.size() >= kMaxKinds) {
      std::erase_if(denials_, [now_ms](const auto& e) {
        return now_ms - e.second.window_start_ms >= kDenialWindowMs;
      });
      if (denials_.size() >= kMaxKinds) denials_.clear();
    }
    it = denials_.emplace(key, DenialSeen{}).first;
  }
  *repeated = it->second.repeated;
  it->second = DenialSeen{now_ms, 0};
  return true;
}

}  // namespace idscheme::registry

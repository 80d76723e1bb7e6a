#include "registry/client.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "audit/audit_log.h"
#include "common/base64url.h"
#include "common/hex.h"
#include "crypto/hash.h"
#include "crypto/json.h"
#include "http/router.h"
#include "registry/internal/fields.h"
#include "registry/internal/request_reads.h"
#include "registry/sector_document.h"

namespace idscheme::registry {

using internal::FieldError;
using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<ClientStatus, std::string_view>, 3> kStatuses = {{
    {ClientStatus::kActive, "active"},
    {ClientStatus::kSuspended, "suspended"},
    {ClientStatus::kDeleted, "deleted"},
}};

constexpr size_t kSecretBytes = 32;  // 256 bits

constexpr std::string_view kColumns =
    "client_id, member_id, registered_by, status, metadata, sector_identifier, secret_hash,"
    " revocation_epoch, status_changed_at, secret_rotated_at, created_at, updated_at";

ClientMetadata MetadataFromText(const std::string& text) {
  auto j = crypto::ParseJsonObjectStrict(text);
  return j.ok() ? ClientMetadataFromStored(*j) : ClientMetadata{};
}

// FindClient's answer for the request running on this thread (internal/request_reads.h).
struct RequestMemo {
  uint64_t request = 0;  // http::CurrentRequestId() when read; 0: nothing kept
  const Clients* owner = nullptr;
  ClientAuthRecord record;
};
thread_local RequestMemo request_memo;

Client FromRow(const store::Row& r) {
  Client c;
  c.client_id = r.Text(0);
  c.member_id = r.Text(1);
  c.registered_by = r.Text(2);
  c.status = ParseClientStatus(r.Text(3)).value_or(ClientStatus::kSuspended);
  c.metadata = MetadataFromText(r.Text(4));
  c.sector_identifier = r.Text(5);
  c.has_secret = !r.Text(6).empty();
  c.revocation_epoch = r.Int(7);
  c.status_changed_at_ms = r.Int(8);
  c.secret_rotated_at_ms = r.Int(9);
  c.created_at_ms = r.Int(10);
  c.updated_at_ms = r.Int(11);
  return c;
}

Result<Client> GetClient(store::Executor& db, std::string_view client_id) {
  if (!internal::IsWellFormedId(client_id)) return Status::NotFound("no such client");
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec("SELECT " + std::string(kColumns) +
                                           " FROM registry_clients WHERE client_id = ?",
                                       {store::Text(std::string(client_id))}));
  if (r.rows.empty()) return Status::NotFound("no client " + std::string(client_id));
  return FromRow(r.rows[0]);
}

bool SeesUsers(const ClientMetadata& m) {
  return m.HasGrant(kGrantAuthorizationCode) || m.HasGrant(kGrantCiba);
}

// Nothing about a terminated member changes any more (member.h), its clients included.
Status CheckNotTerminated(const Member& member) {
  if (member.status == MemberStatus::kTerminated)
    return Status::FailedPrecondition("member " + member.id +
                                      " is terminated; termination is final");
  return Status::Ok();
}

// The client may still change: not deleted, and its member not terminated.
Status CheckChangeable(store::Executor& tx, const Client& c) {
  if (c.status == ClientStatus::kDeleted)
    return Status::FailedPrecondition("client " + c.client_id + " is deleted; deletion is final");
  IDS_ASSIGN_OR_RETURN(Member owner, GetMember(tx, c.member_id));
  return CheckNotTerminated(owner);
}

// The owner must be able to hold this client.
Status CheckOwner(const Member& member, const ClientMetadata& metadata) {
  IDS_RETURN_IF_ERROR(CheckNotTerminated(member));
  if (SeesUsers(metadata) && member.role != Role::kServiceProvider)
    return FieldError("grant_types",
                      "authorization_code and CIBA are for service providers' "
                      "clients; member " +
                          member.id + " has the role " + std::string(RoleName(member.role)));
  return Status::Ok();
}

json AuditDetails(const Client& c) {
  json d = {{"member_id", c.member_id},
            {"token_endpoint_auth_method", c.metadata.token_endpoint_auth_method},
            {"grant_types", c.metadata.grant_types},
            {"redirect_uris", c.metadata.redirect_uris},
            {"scope", c.metadata.scope},
            {"sector_identifier", c.sector_identifier}};
  // Where a logout may send people is as sensitive as redirect_uris.
  if (!c.metadata.post_logout_redirect_uris.empty())
    d["post_logout_redirect_uris"] = c.metadata.post_logout_redirect_uris;
  return d;
}

}  // namespace

void internal::ForgetRequestReads() { request_memo.request = 0; }

// The parsed metadata by client, with the stored text it was parsed from: the text is still read
// each time (so an update shows at once) but parsed only when it changed.
class Clients::ParsedMetadata {
 public:
  ClientMetadata Get(const std::string& client_id, const std::string& text) {
    {
      std::lock_guard lock(mu_);
      auto it = by_client_.find(client_id);
      if (it != by_client_.end() && it->second.text == text) return it->second.metadata;
    }
    ClientMetadata parsed = MetadataFromText(text);
    std::lock_guard lock(mu_);
    // Bounded: a node serves a few thousand clients; past the bound, start over.
    if (by_client_.size() >= kMaxClients) by_client_.clear();
    by_client_.insert_or_assign(client_id, Entry{text, parsed});
    return parsed;
  }

 private:
  static constexpr size_t kMaxClients = 10000;
  struct Entry {
    std::string text;
    ClientMetadata metadata;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> by_client_;
};

// The records FindClient read, by client_id (store/epoch_cache.h).
class Clients::AuthCache : public store::EpochCache<ClientAuthRecord> {
 public:
  static constexpr int64_t kMaxAgeMs = 2000;
  AuthCache() : EpochCache(kMaxAgeMs, /*capacity=*/10000) {}
};

Clients::Clients(store::Database& db, const Clock& clock, Random& random, const StatusHooks& hooks)
    : db_(db),
      clock_(clock),
      random_(random),
      hooks_(hooks),
      parsed_metadata_(std::make_unique<ParsedMetadata>()),
      auth_cache_(std::make_unique<AuthCache>()) {}

Clients::~Clients() = default;
Clients::Clients(Clients&&) noexcept = default;

std::string_view ClientStatusName(ClientStatus status) {
  for (const auto& [s, n] : kStatuses) {
    if (s == status) return n;
  }
  return "unknown";
}

std::optional<ClientStatus> ParseClientStatus(std::string_view name) {
  for (const auto& [s, n] : kStatuses) {
    if (n == name) return s;
  }
  return std::nullopt;
}

std::string HashClientSecret(std::string_view secret) {
  auto digest = crypto::Sha256(secret);
  return HexEncode(digest);
}

bool ClientAuthRecord::SecretMatches(std::string_view presented) const {
  if (secret_hash.empty()) return false;
  return crypto::ConstantTimeEquals(HashClientSecret(presented), secret_hash);
}

json Client::ToJson() const {
  json j = metadata.ToJson();
  j["client_id"] = client_id;
  j["client_id_issued_at"] = created_at_ms / 1000;  // RFC 7591 §3.2.1: seconds
  j["member_id"] = member_id;
  j["registered_by"] = registered_by;
  j["status"] = ClientStatusName(status);
  j["sector_identifier"] = sector_identifier;
  j["has_secret"] = has_secret;
  j["revocation_epoch"] = revocation_epoch;
  j["status_changed_at"] = status_changed_at_ms;
  if (has_secret) j["secret_rotated_at"] = secret_rotated_at_ms;
  j["created_at"] = created_at_ms;
  j["updated_at"] = updated_at_ms;
  return j;
}

json ClientWithSecret::ToJson() const {
  json j = client.ToJson();
  if (!secret.empty()) {
    j["client_secret"] = secret;
    j["client_secret_expires_at"] = 0;  // RFC 7591 §3.2.1: 0 = does not expire
  }
  return j;
}

std::string Clients::NewSecret() {
  std::vector<uint8_t> bytes(kSecretBytes);
  random_.Fill(bytes);
  return Base64UrlEncode(bytes);
}

Status Clients::VerifySectorDocument(const ClientMetadata& metadata) const {
  const std::string& url = metadata.sector_identifier_uri;
  if (url.empty()) return Status::Ok();
  // Before fetching: a client with nothing for the document to list is refused as it is.
  IDS_RETURN_IF_ERROR(UrisSectorDocumentMustList(metadata).status());
  if (!sector_fetcher_)
    return Status::FailedPrecondition("cannot verify sector_identifier_uri: no fetcher configured");
  // OIDC Registration §5: the OP MUST fetch the document and check it.
  Result<std::string> body = sector_fetcher_(url);
  if (!body.ok())
    return FieldError("sector_identifier_uri",
                      "cannot fetch " + url + " (" + body.status().message() + ")");
  return CheckSectorDocument(metadata, *body);
}

Result<ClientWithSecret> Clients::Create(std::string_view member_id, const ClientMetadata& metadata,
                                         std::string_view registered_by, std::string_view actor) {
  IDS_RETURN_IF_ERROR(VerifySectorDocument(metadata));  // network I/O: outside the transaction
  internal::RegistryWrite write(db_);                   // this request reads its own change back
  ClientWithSecret out;
  Client& c = out.client;
  c.client_id = NewId(random_, "c_", 12);
  c.member_id = std::string(member_id);
  c.registered_by = std::string(registered_by);
  c.metadata = metadata;
  c.sector_identifier = SectorIdentifier(metadata);
  c.created_at_ms = c.updated_at_ms = c.status_changed_at_ms = clock_.NowMillis();
  if (metadata.UsesSecret()) {
    out.secret = NewSecret();
    c.has_secret = true;
    c.secret_rotated_at_ms = c.created_at_ms;
  }
  const std::string secret_hash = out.secret.empty() ? "" : HashClientSecret(out.secret);
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Member owner, GetMember(tx, member_id));
    IDS_RETURN_IF_ERROR(CheckOwner(owner, metadata));
    if (registered_by != "operator") {
      auto by = GetMember(tx, registered_by);
      if (!by.ok() && by.status().code() == Status::Code::kNotFound)
        return Status::PermissionDenied("unknown registering member " + c.registered_by);
      IDS_RETURN_IF_ERROR(by.status());
      if (by->status != MemberStatus::kActive)
        return Status::PermissionDenied("registering member " + by->id + " is not active");
      const bool reseller_for_customer =
          by->role == Role::kValueAddedReseller && owner.reseller_id == by->id;
      if (by->role != Role::kSchemeManager && !reseller_for_customer)
        return Status::PermissionDenied("member " + by->id +
                                        " may not register clients for member " + owner.id);
    }
    IDS_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO registry_clients (" + std::string(kColumns) +
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {store::Text(c.client_id), store::Text(c.member_id), store::Text(c.registered_by),
                 store::Text("active"), store::Text(c.metadata.ToJson().dump()),
                 store::Text(c.sector_identifier), store::Text(secret_hash), store::Int(0),
                 store::Int(c.status_changed_at_ms), store::Int(c.secret_rotated_at_ms),
                 store::Int(c.created_at_ms), store::Int(c.updated_at_ms)})
            .status());
    json details = AuditDetails(c);
    details["registered_by"] = c.registered_by;
    return audit::Append(tx, {std::string(actor), "client.create", c.client_id, details},
                         c.created_at_ms)
        .status();
  }));
  return out;
}

Result<Client> Clients::Get(std::string_view client_id) { return GetClient(db_, client_id); }

Result<std::vector<Client>> Clients::ListByMember(std::string_view member_id) {
  if (!internal::IsWellFormedId(member_id)) return std::vector<Client>{};
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("SELECT " + std::string(kColumns) +
                                            " FROM registry_clients WHERE member_id = ?"
                                            " ORDER BY client_id",
                                        {store::Text(std::string(member_id))}));
  std::vector<Client> out;
  for (const auto& row : r.rows) out.push_back(FromRow(row));
  return out;
}

Result<ClientWithSecret> Clients::Update(std::string_view client_id, const ClientMetadata& metadata,
                                         std::string_view actor) {
  IDS_RETURN_IF_ERROR(VerifySectorDocument(metadata));  // network I/O: outside the transaction
  internal::RegistryWrite write(db_);                   // this request reads its own change back
  ClientWithSecret out;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    out.secret.clear();
    IDS_ASSIGN_OR_RETURN(Client c, GetClient(tx, client_id));
    if (c.status == ClientStatus::kDeleted)
      return Status::FailedPrecondition("client " + c.client_id + " is deleted; deletion is final");
    IDS_ASSIGN_OR_RETURN(Member owner, GetMember(tx, c.member_id));
    IDS_RETURN_IF_ERROR(CheckOwner(owner, metadata));
    std::string sector = SectorIdentifier(metadata);
    // OIDC Core §8.1: pairwise subjects are computed for the sector; another sector would give
    // every user of this client a new identifier.
    if (!c.sector_identifier.empty() && sector != c.sector_identifier)
      return FieldError("redirect_uris", "the sector identifier would change from " +
                                             c.sector_identifier + " to " +
                                             (sector.empty() ? "none" : sector) +
                                             ", changing every pairwise subject; register a "
                                             "sector_identifier_uri on " +
                                             c.sector_identifier);
    const int64_t now = clock_.NowMillis();
    std::vector<store::Value> params = {store::Text(metadata.ToJson().dump()), store::Text(sector),
                                        store::Int(now)};
    std::string sql =
        "UPDATE registry_clients SET metadata = ?, sector_identifier = ?,"
        " updated_at = ?";
    if (metadata.UsesSecret() && !c.has_secret) {
      out.secret = NewSecret();
      sql += ", secret_hash = ?, secret_rotated_at = ?";
      params.push_back(store::Text(HashClientSecret(out.secret)));
      params.push_back(store::Int(now));
      c.has_secret = true;
      c.secret_rotated_at_ms = now;
    } else if (!metadata.UsesSecret() && c.has_secret) {
      sql += ", secret_hash = '', secret_rotated_at = 0";
      c.has_secret = false;
      c.secret_rotated_at_ms = 0;
    }
    sql += " WHERE client_id = ?";
    params.push_back(store::Text(c.client_id));
    IDS_RETURN_IF_ERROR(tx.Exec(sql, params).status());
    c.metadata = metadata;
    c.sector_identifier = sector;
    c.updated_at_ms = now;
    json details = AuditDetails(c);
    details["new_secret"] = !out.secret.empty();
    IDS_RETURN_IF_ERROR(
        audit::Append(tx, {std::string(actor), "client.update", c.client_id, details}, now)
            .status());
    out.client = std::move(c);
    return Status::Ok();
  }));
  return out;
}

Result<Client> Clients::Suspend(std::string_view client_id, std::string_view actor,
                                std::string_view reason) {
  return Transition(client_id, ClientStatus::kSuspended, "client.suspend", actor, reason);
}
Result<Client> Clients::Reinstate(std::string_view client_id, std::string_view actor,
                                  std::string_view reason) {
  return Transition(client_id, ClientStatus::kActive, "client.reinstate", actor, reason);
}
Result<Client> Clients::Delete(std::string_view client_id, std::string_view actor,
                               std::string_view reason) {
  return Transition(client_id, ClientStatus::kDeleted, "client.delete", actor, reason);
}

Result<Client> Clients::Transition(std::string_view client_id, ClientStatus to,
                                   std::string_view action, std::string_view actor,
                                   std::string_view reason) {
  internal::RegistryWrite write(db_);  // this request reads its own change back
  if (!reason.empty()) IDS_RETURN_IF_ERROR(internal::CheckText("reason", reason, 500));
  Client out;
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Client c, GetClient(tx, client_id));
    const ClientStatus from = c.status;
    IDS_RETURN_IF_ERROR(CheckChangeable(tx, c));
    if (from == to)
      return Status::FailedPrecondition("client " + c.client_id + " is already " +
                                        std::string(ClientStatusName(to)));
    if (to == ClientStatus::kActive && from != ClientStatus::kSuspended)
      return Status::FailedPrecondition("only a suspended client can be reinstated");
    c.status = to;
    c.revocation_epoch += 1;
    c.status_changed_at_ms = c.updated_at_ms = clock_.NowMillis();
    if (to == ClientStatus::kDeleted) {
      c.has_secret = false;
      c.secret_rotated_at_ms = 0;
    }
    IDS_ASSIGN_OR_RETURN(
        auto r,
        tx.Exec(
            std::string("UPDATE registry_clients SET status = ?, revocation_epoch = ?,"
                        " status_changed_at = ?, updated_at = ?,"
                        // A switch-off (tokens issued before it stay dead); not a reinstatement.
                        " deactivated_at = CASE WHEN ? = 1 THEN ? ELSE deactivated_at END") +
                (to == ClientStatus::kDeleted ? ", secret_hash = '', secret_rotated_at = 0" : "") +
                " WHERE client_id = ? AND revocation_epoch = ?",
            {store::Text(std::string(ClientStatusName(to))), store::Int(c.revocation_epoch),
             store::Int(c.status_changed_at_ms), store::Int(c.updated_at_ms),
             store::Int(to != ClientStatus::kActive ? 1 : 0), store::Int(c.status_changed_at_ms),
             store::Text(c.client_id), store::Int(c.revocation_epoch - 1)}));
    if (r.affected != 1) return store::TransientError("client changed concurrently");
    json details = {{"member_id", c.member_id},
                    {"from", ClientStatusName(from)},
                    {"to", ClientStatusName(to)},
                    {"revocation_epoch", c.revocation_epoch}};
    if (!reason.empty()) details["reason"] = std::string(reason);
    IDS_RETURN_IF_ERROR(
        audit::Append(tx,
                      {std::string(actor), std::string(action), c.client_id, std::move(details)},
                      c.status_changed_at_ms)
            .status());
    IDS_RETURN_IF_ERROR(
        hooks_.Run(tx, {c.member_id, c.client_id, std::string(ClientStatusName(from)),
                        std::string(ClientStatusName(to)), c.revocation_epoch,
                        c.status_changed_at_ms, std::string(actor)}));
    out = std::move(c);
    return Status::Ok();
  }));
  return out;
}

Result<ClientWithSecret> Clients::RotateSecret(std::string_view client_id, std::string_view actor) {
  internal::RegistryWrite write(db_);  // this request reads its own change back
  ClientWithSecret out;
  out.secret = NewSecret();
  const std::string hash = HashClientSecret(out.secret);
  IDS_RETURN_IF_ERROR(store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(Client c, GetClient(tx, client_id));
    IDS_RETURN_IF_ERROR(CheckChangeable(tx, c));
    if (!c.metadata.UsesSecret())
      return Status::FailedPrecondition("client " + c.client_id + " uses " +
                                        c.metadata.token_endpoint_auth_method +
                                        ": it has no secret to rotate");
    const int64_t now = clock_.NowMillis();
    IDS_RETURN_IF_ERROR(
        tx.Exec("UPDATE registry_clients SET secret_hash = ?,"
                " secret_rotated_at = ?, updated_at = ? WHERE client_id = ?",
                {store::Text(hash), store::Int(now), store::Int(now), store::Text(c.client_id)})
            .status());
    c.has_secret = true;
    c.secret_rotated_at_ms = c.updated_at_ms = now;
    IDS_RETURN_IF_ERROR(
        audit::Append(
            tx,
            {std::string(actor), "client.rotate_secret", c.client_id, {{"member_id", c.member_id}}},
            now)
            .status());
    out.client = std::move(c);
    return Status::Ok();
  }));
  return out;
}

Result<ClientAuthRecord> Clients::FindClient(std::string_view client_id) {
  if (!internal::IsWellFormedId(client_id)) return Status::NotFound("no such client");
  const uint64_t request = http::CurrentRequestId();
  if (request != 0 && request_memo.request == request && request_memo.owner == this &&
      request_memo.record.client_id == client_id)
    return request_memo.record;
  // Seen before the read: a write committed after it moves the epoch past what is kept.
  store::ChangeEpoch* const epoch = db_.change_epoch();
  const uint64_t seen = epoch != nullptr ? epoch->Load() : 0;
  const int64_t now_ms = epoch != nullptr ? clock_.NowMillis() : 0;
  if (epoch != nullptr) {
    if (std::optional<ClientAuthRecord> kept = auth_cache_->Find(client_id, seen, now_ms)) {
      if (request != 0) request_memo = RequestMemo{request, this, *kept};
      return *std::move(kept);
    }
  }
  IDS_ASSIGN_OR_RETURN(
      auto r,
      db_.Exec("SELECT c.client_id, c.member_id, c.status, c.metadata, c.sector_identifier,"
               " c.secret_hash, c.revocation_epoch, c.status_changed_at, m.role, m.status,"
               " m.revocation_epoch, m.status_changed_at, m.reseller_id, r.status,"
               " c.deactivated_at, m.deactivated_at, r.deactivated_at"
               " FROM registry_clients c JOIN registry_members m ON m.id = c.member_id"
               " LEFT JOIN registry_members r ON r.id = m.reseller_id WHERE c.client_id = ?",
               {store::Text(std::string(client_id))}));
  if (r.rows.empty()) return Status::NotFound("no client " + std::string(client_id));
  const auto& row = r.rows[0];
  ClientAuthRecord a;
  a.client_id = row.Text(0);
  a.member_id = row.Text(1);
  a.client_status = ParseClientStatus(row.Text(2)).value_or(ClientStatus::kSuspended);
  a.metadata = parsed_metadata_->Get(a.client_id, row.Text(3));
  a.sector_identifier = row.Text(4);
  a.secret_hash = row.Text(5);
  a.client_revocation_epoch = row.Int(6);
  a.client_status_changed_at_ms = row.Int(7);
  a.member_role = ParseRole(row.Text(8)).value_or(Role::kServiceProvider);
  a.member_status = ParseMemberStatus(row.Text(9)).value_or(MemberStatus::kSuspended);
  a.member_revocation_epoch = row.Int(10);
  a.member_status_changed_at_ms = row.Int(11);
  a.switched_off_at_ms = std::max(row.Int(14), row.Int(15));
  if (!row.IsNull(12) && !row.Text(12).empty()) {
    a.reseller_status = ParseMemberStatus(row.Text(13)).value_or(MemberStatus::kSuspended);
    a.switched_off_at_ms = std::max(a.switched_off_at_ms, row.Int(16));
  }
  if (request != 0) request_memo = RequestMemo{request, this, a};
  if (epoch != nullptr) auth_cache_->Put(a.client_id, a, seen, now_ms);
  return a;
}

}  // namespace idscheme::registry

// ClientDirectory: what client authentication and token checks (src/oauth) need to know about a
// client, behind one small interface so they can be tested with a fake.
//
// FindClient reads the client, its member and the member's reseller in one indexed query, with
// no cache: a suspension, termination, deletion or secret rotation is seen by the very next call
// on every node. Callers must refuse a client unless record.Usable(), and refuse a token unless
// the epochs it was issued under are still the current ones (see Member in member.h).
//
// Thread-safety: implementations must be safe to call from several threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "registry/client_metadata.h"
#include "registry/member.h"

namespace idscheme::registry {

enum class ClientStatus { kActive, kSuspended, kDeleted };
std::string_view ClientStatusName(ClientStatus status);  // "active", "suspended", "deleted"
std::optional<ClientStatus> ParseClientStatus(std::string_view name);

struct ClientAuthRecord {
  std::string client_id;
  std::string member_id;
  Role member_role = Role::kServiceProvider;

  ClientStatus client_status = ClientStatus::kActive;
  MemberStatus member_status = MemberStatus::kActive;
  std::optional<MemberStatus> reseller_status;  // set when the member has a reseller

  // Bumped by every status change; a token records both and is valid only while they are
  // current. status_changed_at_ms is when the last change happened.
  int64_t client_revocation_epoch = 0;
  int64_t client_status_changed_at_ms = 0;
  int64_t member_revocation_epoch = 0;
  int64_t member_status_changed_at_ms = 0;
  // When the client, its member or its reseller was last switched off (suspended, terminated,
  // deleted); 0 if never. A token issued before it was issued before a switch-off.
  int64_t switched_off_at_ms = 0;

  // Everything registered: token_endpoint_auth_method, jwks (the registered JWK Set as JSON) or
  // jwks_uri, the signing and encryption algorithms, grant_types, scope, redirect_uris, ...
  ClientMetadata metadata;
  std::string sector_identifier;  // for pairwise subjects (OIDC Core §8.1); empty otherwise

  // Lower-case hex SHA-256 of the client secret, empty when the client has none
  // (private_key_jwt). Compare with SecretMatches, never by hand.
  std::string secret_hash;

  // The client, its member and its reseller (if any) are all active.
  bool Usable() const {
    return client_status == ClientStatus::kActive && member_status == MemberStatus::kActive &&
           (!reseller_status || *reseller_status == MemberStatus::kActive);
  }
  // Whether `presented` is this client's secret (SHA-256, compared in constant time). False for a
  // client without a secret.
  bool SecretMatches(std::string_view presented) const;
};

class ClientDirectory {
 public:
  virtual ~ClientDirectory() = default;
  // NotFound for an unknown client_id (answer it as invalid_client); Unavailable when the store
  // is down. A suspended or deleted client is found too: check Usable().
  virtual Result<ClientAuthRecord> FindClient(std::string_view client_id) = 0;
};

}  // namespace idscheme::registry

// Clients: the OpenID Connect relying parties (and API clients) of the scheme's members.
//
// A client belongs to one member. Clients that log users in (the authorization_code or CIBA
// grant) belong to service providers; a value added reseller registers them for its own
// customers (registered_by names it). Any member may have client_credentials clients for the
// scheme's APIs (the admin API, the registrar and SIM-controller APIs).
//
// The client_id is generated. With client_secret_basic or client_secret_post the server
// generates the secret (256 random bits, base64url), returns it once, and keeps only its
// SHA-256: the store never holds a secret, and nobody can show it again (rotate it instead).
// A high-entropy secret needs no slow hash; comparison is in constant time.
//
//   active --suspend--> suspended --reinstate--> active
//   active | suspended --delete--> deleted                (final: the client_id is never reused)
//
// Like a member's, a client's revocation_epoch is bumped by each status change, so tokens issued
// before a suspension stay dead. A secret rotation does not bump it: tokens already issued stay
// valid (suspend and reinstate the client to revoke them too).
//
// A sector_identifier_uri is fetched at every Create and Update that registers one, before the
// write transaction (no network I/O while the store's writer is held), and the client is
// accepted only when the document vouches for it (sector_document.h, OIDC Registration §5).
// The registry does no network I/O itself: the fetcher is injected (SetSectorFetcher; the node
// passes its HTTPS client, with the settings of jwks_uri).
//
// Thread-safety: Clients keeps only caches of what it read (behind a mutex, or per thread) and is
// safe from any thread, once its sector fetcher is set (set it before use, never while requests
// run).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "registry/client_directory.h"
#include "registry/client_metadata.h"
#include "registry/member.h"
#include "store/database.h"

namespace idscheme::registry {

struct Client {
  std::string client_id;  // "c_" + 24 hex digits
  std::string member_id;
  std::string registered_by;  // member id of the registering scheme manager or reseller, or
                              // "operator" (CLI)
  ClientStatus status = ClientStatus::kActive;
  ClientMetadata metadata;
  std::string sector_identifier;
  bool has_secret = false;
  int64_t revocation_epoch = 0;
  int64_t status_changed_at_ms = 0;
  int64_t secret_rotated_at_ms = 0;  // 0 when it has no secret
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  // The registration as RFC 7591 §3.2.1 answers it (client_id, client_id_issued_at, the
  // metadata) plus member_id, registered_by, status, sector_identifier, has_secret, epochs and
  // times. Never a secret.
  nlohmann::json ToJson() const;
};

// A client with the secret the server just generated (empty when there is none): shown once.
struct ClientWithSecret {
  Client client;
  std::string secret;
  // ToJson() plus "client_secret" and "client_secret_expires_at": 0 (never) when there is one.
  nlohmann::json ToJson() const;
};

// The hex SHA-256 kept for a secret.
std::string HashClientSecret(std::string_view secret);

// Fetches a document a client registered by URL: the body of a 200 answer. Any other status, and
// every network or TLS failure, is an error whose message gives the reason. Called from any
// thread.
using DocumentFetcher = std::function<Result<std::string>(std::string_view url)>;

class Clients {
 public:
  Clients(store::Database& db, const Clock& clock, Random& random, const StatusHooks& hooks);
  ~Clients();
  Clients(Clients&&) noexcept;

  // How sector_identifier_uri documents are fetched. Set before use. Without one, registering a
  // sector_identifier_uri fails (FailedPrecondition): it cannot be verified.
  void SetSectorFetcher(DocumentFetcher fetcher) { sector_fetcher_ = std::move(fetcher); }

  // Registers a client for `member_id` (metadata from ValidateClientMetadata). The member must
  // not be terminated; user-facing grants need a service provider. `registered_by`: the member id
  // of whoever registers it, or "operator"; a value added reseller may register only for a
  // service provider it brought in. A sector_identifier_uri is fetched and checked first
  // (InvalidArgument on sector_identifier_uri when it cannot be fetched or does not vouch).
  Result<ClientWithSecret> Create(std::string_view member_id, const ClientMetadata& metadata,
                                  std::string_view registered_by, std::string_view actor);
  Result<Client> Get(std::string_view client_id);
  // The member's clients, by client_id (deleted ones too).
  Result<std::vector<Client>> ListByMember(std::string_view member_id);
  // Replaces the metadata. Moving to a secret method generates a secret (returned once); moving
  // away from one erases the hash. Not for a deleted client. A sector_identifier_uri is fetched
  // and checked again, as at Create.
  //
  // Neither this nor any change below is for a deleted client or a terminated member's client
  // (FailedPrecondition): both are final.
  Result<ClientWithSecret> Update(std::string_view client_id, const ClientMetadata& metadata,
                                  std::string_view actor);
  // Status changes; `reason` (empty, or 1..500 bytes of text) goes into the audit entry.
  Result<Client> Suspend(std::string_view client_id, std::string_view actor,
                         std::string_view reason = {});
  Result<Client> Reinstate(std::string_view client_id, std::string_view actor,
                           std::string_view reason = {});
  Result<Client> Delete(std::string_view client_id, std::string_view actor,
                        std::string_view reason = {});
  // A new secret (the old one stops working at once); only for a client using a secret method.
  Result<ClientWithSecret> RotateSecret(std::string_view client_id, std::string_view actor);

  // The record for client authentication: one indexed query (client, member, reseller), whose
  // answer is used again while no registry write happened anywhere since (the store's
  // ChangeEpoch, store/database.h: every registry writer bumps it) and for at most two seconds
  // (a writer that died between its commit and its bump); so a status change acts at once, on
  // every node of the store. A store without an epoch (PostgreSQL) is read each time. Within
  // one request, the first answer is reused (internal/request_reads.h); the metadata is parsed
  // again only when its text changed.
  Result<ClientAuthRecord> FindClient(std::string_view client_id);

 private:
  Result<Client> Transition(std::string_view client_id, ClientStatus to, std::string_view action,
                            std::string_view actor, std::string_view reason);
  std::string NewSecret();
  // OIDC Registration §5: fetches metadata.sector_identifier_uri, if any, and checks it.
  Status VerifySectorDocument(const ClientMetadata& metadata) const;

  store::Database& db_;
  const Clock& clock_;
  Random& random_;
  const StatusHooks& hooks_;
  DocumentFetcher sector_fetcher_;
  class ParsedMetadata;
  std::unique_ptr<ParsedMetadata> parsed_metadata_;
  class AuthCache;
  std::unique_ptr<AuthCache> auth_cache_;
};

}  // namespace idscheme::registry

// Node: one running idscheme process's parts, opened from the configuration in dependency
// order (store, migrations, key-encryption key, keys), and the HTTP routes they serve.
//
// Every node is stateless apart from caches it can rebuild from the store: several nodes on one
// PostgreSQL serve the same scheme.
//
// Thread-safety: after Open(), the accessors are safe from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "app/device_api.h"
#include "app/identity_adapters.h"
#include "app/qr.h"
#include "approval/actions.h"
#include "approval/devices.h"
#include "approval/schema.h"
#include "common/clock.h"
#include "common/random.h"
#include "config/config.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "identity/identities.h"
#include "identity/sim_bindings.h"
#include "keys/key_manager.h"
#include "keys/key_store.h"
#include "login/login_flow.h"
#include "oauth/oauth_context.h"
#include "oidc/authorization_clients.h"
#include "oidc/authorization_endpoint.h"
#include "oidc/provider.h"
#include "registry/admin_api.h"
#include "registry/oauth_client_directory.h"
#include "registry/registry.h"
#include "store/database.h"
#include "store/migrations.h"

namespace idscheme::server {

// Every part's migrations, in version order.
std::vector<store::Migration> AllMigrations();

class Node;

struct NodeOptions {
  bool migrate = true;           // apply pending migrations (serve: yes; read-only tools: no)
  bool init_keys = true;         // create the first keys of an empty store
  const Clock* clock = nullptr;  // default: the system clock
  Random* random = nullptr;      // default: OpenSSL's CSPRNG
  // Instance::Start: more routes beside the node's own (the demo's service provider).
  std::function<void(Node&, http::Router&)> extra_routes;
  // Serve: called once the node listens, before it waits for a signal (the demo's guide, which
  // must not be printed for a node that could not take its port).
  std::function<void(Node&)> on_ready;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Open(const config::Config& config,
                                            const NodeOptions& options = {});

  const config::Config& config() const { return config_; }
  store::Database& db() { return *db_; }
  keys::KeyStore& key_store() { return *key_store_; }
  keys::KeyManager& keys() { return *key_manager_; }
  http::Metrics& metrics() { return metrics_; }
  const Clock& clock() const { return *clock_; }
  Random& random() { return *random_; }
  registry::Registry& registry() { return *registry_; }
  oauth::OAuthContext& oauth() { return *oauth_; }
  identity::Identities& identities() { return *identities_; }
  identity::SimBindings& sim_bindings() { return *sim_bindings_; }
  approval::Actions& actions() { return *actions_; }
  approval::Devices& devices() { return *devices_; }
  // The same devices as registrars and the operator see and revoke them (issue 4).
  identity::PersonDevices& person_devices() { return *person_devices_; }
  oidc::Provider& provider() { return *provider_; }
  oidc::AuthorizationEndpoint& authorization() { return *authorization_; }
  login::LoginFlow& login() { return *login_; }

  // Deletes what has expired (codes, pushed requests, login sessions, rate counters, tokens'
  // records) and writes `expired` on pending actions past their time. The instance runs it
  // every minute; any node may, at any time.
  void Housekeeping();

  // Registers the routes: the platform's (/healthz, /readyz, /metrics, /jwks), the token
  // endpoint, the admin API (bearer tokens of scheme managers' clients), the registrar and
  // SIM controller APIs (bearer tokens of those members' clients), the OpenID Provider
  // (discovery, /authorize, /par, /userinfo), the login pages (/login/...) and the device API
  // (/app/v1).
  void AddRoutes(http::Router& router);

 private:
  Node() = default;
  // The approval engine, the OpenID Provider, the authorization endpoint and the login pages.
  Status OpenPersonServices(std::vector<uint8_t> subject_secret, std::vector<uint8_t> qr_secret);
  static Result<std::vector<uint8_t>> DeriveSecret(std::span<const uint8_t> kek,
                                                   std::string_view label);
  // The member APIs' caller: the bearer token's client and member (src/oauth/bearer.h).
  registry::Authenticator BearerCallers();
  config::Config config_;
  http::Metrics metrics_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<keys::DbKeyStore> key_store_;
  std::unique_ptr<keys::KeyManager> key_manager_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<registry::OAuthClientDirectory> oauth_clients_;
  std::unique_ptr<oauth::OAuthContext> oauth_;
  std::unique_ptr<identity::Identities> identities_;
  std::unique_ptr<identity::SimBindings> sim_bindings_;
  std::unique_ptr<app::IdentityActivationRedeemer> redeemer_;
  std::unique_ptr<app::IdentitySimBindingLookup> sim_lookup_;
  std::unique_ptr<approval::Actions> actions_;
  std::unique_ptr<approval::Devices> devices_;
  std::unique_ptr<app::ApprovalPersonDevices> person_devices_;
  std::unique_ptr<app::QrCodes> qr_codes_;
  std::unique_ptr<app::DeviceApi> device_api_;
  std::unique_ptr<oidc::Provider> provider_;
  std::unique_ptr<oidc::RegistryAuthorizationClients> authorization_clients_;
  std::unique_ptr<oidc::AuthorizationEndpoint> authorization_;
  std::unique_ptr<login::LoginFlow> login_;
  const Clock* clock_ = nullptr;
  Random* random_ = nullptr;
};

// What `serve` checks before it opens anything, and `config check` with it: the trusted
// proxies parse, the files the configuration names (TLS certificate and key, key-encryption
// key, CA bundle) exist and are readable, a PostgreSQL store has its key-encryption key.
// Creates nothing. Errors name the configuration key.
Status CheckConfig(const config::Config& config);

// A node's port, taken before the node opens, and the configuration the node runs with:
// with server.listen on port 0 and no server.issuer, the issuer (and all that is derived from
// it: discovery, the demo's client and guide) names the port the system chose.
struct Listening {
  config::Config config;
  http::Listener listener;
};
// CheckConfig, then binds server.listen.
Result<Listening> Listen(const config::Config& config);

// A started node: its HTTP server listening, its key set re-read from the store every
// keys.reload_interval_seconds. Tests start one on port 0; `serve` starts one and waits.
class Instance {
 public:
  // Listen, then Start on it.
  static Result<std::unique_ptr<Instance>> Start(const config::Config& config,
                                                 const NodeOptions& options = {});
  // Opens the node with listening.config and serves on its socket.
  static Result<std::unique_ptr<Instance>> Start(Listening listening,
                                                 const NodeOptions& options = {});
  ~Instance();  // stops the server (graceful, shutdown_grace_ms) and the key reloader

  uint16_t port() const;
  Node& node() { return *node_; }
  http::Server& http() { return *http_; }
  // Blocks until the server stops (SIGTERM/SIGINT after StopOnSignals, or Stop()).
  void Wait();
  void Stop();

 private:
  Instance() = default;
  void StopReloader();

  std::unique_ptr<Node> node_;
  std::unique_ptr<http::Server> http_;
  std::thread reloader_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// Runs a node until SIGTERM/SIGINT: the `serve` command. Logs one "ready" line with the bound
// address and the start-up time; prints nothing secret.
Status Serve(const config::Config& config, const NodeOptions& options = {});
// The same on a port taken already (the demo seeds its store with the issuer in between).
Status Serve(Listening listening, const NodeOptions& options = {});

}  // namespace idscheme::server

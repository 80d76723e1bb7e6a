#include "server/node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>
#include <tuple>

#include "audit/audit_log.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "http/proxies.h"
#include "http/server.h"
#include "identity/registrar_api.h"
#include "identity/sim_controller_api.h"
#include "login/logout_page.h"
#include "oauth/migrations.h"
#include "oidc/migrations.h"
#include "registry/admin_api.h"
#include "server/instrumented_database.h"

namespace idscheme::server {

std::vector<store::Migration> AllMigrations() {
  std::vector<store::Migration> all = store::Migrations();
  for (auto& m : audit::Migrations()) all.push_back(std::move(m));
  for (auto& m : keys::Migrations()) all.push_back(std::move(m));
  for (auto& m : registry::Migrations()) all.push_back(std::move(m));
  for (auto& m : oauth::Migrations()) all.push_back(std::move(m));
  for (auto& m : identity::Migrations()) all.push_back(std::move(m));
  for (auto& m : approval::Migrations()) all.push_back(std::move(m));
  for (auto& m : oidc::Migrations()) all.push_back(std::move(m));
  for (auto& m : login::Migrations()) all.push_back(std::move(m));
  return all;
}

namespace {

// server.listen as an address and a port to bind (Validate checked its form).
std::pair<std::string, uint16_t> ListenAddress(const config::Config& c) {
  const auto colon = c.server.listen.rfind(':');
  std::string host = c.server.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  int port = 0;
  std::from_chars(c.server.listen.data() + colon + 1,
                  c.server.listen.data() + c.server.listen.size(), port);
  return {host, static_cast<uint16_t>(port)};
}

// server.trusted_proxies as the list of entries http::TrustedProxies::Parse takes.
std::vector<std::string> ProxyEntries(const config::Config& c) {
  std::vector<std::string> out;
  const std::string& list = c.server.trusted_proxies;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// A file the configuration names, `key`, must be there and readable when the node starts,
// not when it is first needed (a CA bundle is read only when a client's jwks_uri is fetched).
Status CheckReadable(std::string_view key, const std::string& path) {
  if (path.empty()) return Status::Ok();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::InvalidArgument(std::string(key) + ": cannot read " + path + ": " +
                                   std::generic_category().message(errno));
  }
  struct stat st {};
  const bool directory = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (directory) return Status::InvalidArgument(std::string(key) + ": " + path + " is a directory");
  return Status::Ok();
}

keys::KekSource KekSourceOf(const config::Config& c) {
  return {c.keys.kek, c.keys.kek_file, c.store.data_dir,
          /*shared_store=*/!c.store.url.empty() && c.store.url.rfind("sqlite:", 0) != 0};
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Open(const config::Config& config, const NodeOptions& options) {
  std::unique_ptr<Node> node(new Node());
  node->config_ = config;
  node->clock_ = options.clock ? options.clock : &SystemClock::Instance();
  node->random_ = options.random ? options.random : &crypto::SystemRandom();

  if (config.store.url.empty() && !config.store.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.store.data_dir, ec);
    if (ec)
      return Status::InvalidArgument("store.data_dir: cannot create " + config.store.data_dir +
                                     ": " + ec.message());
  }
  IDS_ASSIGN_OR_RETURN(auto db, store::Database::Open(config.StoreUrl(), config.store.pool_size,
                                                      config.store.sqlite_exclusive
                                                          ? store::SqliteLocking::kExclusive
                                                          : store::SqliteLocking::kShared));
  node->db_ = Instrument(std::move(db), node->metrics_);
  if (options.migrate) IDS_RETURN_IF_ERROR(store::Migrate(*node->db_, AllMigrations()));

  IDS_ASSIGN_OR_RETURN(auto kek, keys::LoadKek(KekSourceOf(config), *node->random_));
  // Secrets every node must share, derived from the key-encryption key (which they share
  // already): the pairwise subject key (OIDC Core §8.1) and the QR codes' MAC key.
  IDS_ASSIGN_OR_RETURN(auto subject_secret, DeriveSecret(kek, "idscheme pairwise subject v1"));
  IDS_ASSIGN_OR_RETURN(auto qr_secret, DeriveSecret(kek, "idscheme approval qr v1"));
  node->key_store_ = std::make_unique<keys::DbKeyStore>(*node->db_, std::move(kek), *node->random_,
                                                        config.keys.rsa_bits);
  node->key_manager_ = std::make_unique<keys::KeyManager>(*node->key_store_, *node->clock_);
  if (options.init_keys)
    IDS_RETURN_IF_ERROR(node->key_store_->EnsureInitialized(node->clock_->NowSeconds()));
  IDS_RETURN_IF_ERROR(node->key_manager_->Reload());

  node->registry_ = std::make_unique<registry::Registry>(*node->db_, *node->clock_, *node->random_);
  node->oauth_clients_ = std::make_unique<registry::OAuthClientDirectory>(*node->registry_);
  identity::IdentityOptions identity_options;
  identity_options.activation_code_ttl_seconds = config.identity.activation_code_ttl_seconds;
  identity_options.activation_codes_per_hour = config.identity.activation_codes_per_hour;
  node->identities_ = std::make_unique<identity::Identities>(*node->db_, *node->clock_,
                                                             *node->random_, identity_options);
  node->sim_bindings_ =
      std::make_unique<identity::SimBindings>(*node->db_, *node->clock_, *node->random_);
  const config::OAuthSettings& o = config.oauth;
  oauth::OAuthConfig oc;
  oc.issuer = config.server.issuer;
  oc.access_token_format = o.access_token_format;
  oc.access_token_ttl_seconds = o.access_token_ttl_seconds;
  oc.access_token_signing_alg = o.access_token_signing_alg;
  oc.access_token_audience = o.access_token_audience;
  oc.client_assertion_max_lifetime_seconds = o.client_assertion_max_lifetime_seconds;
  oc.clock_leeway_seconds = o.clock_leeway_seconds;
  oc.jwks_fetch_timeout_ms = o.jwks_fetch_timeout_ms;
  oc.jwks_max_bytes = o.jwks_max_bytes;
  oc.jwks_cache_min_seconds = o.jwks_cache_min_seconds;
  oc.jwks_cache_max_seconds = o.jwks_cache_max_seconds;
  oc.jwks_cache_default_seconds = o.jwks_cache_default_seconds;
  oc.jwks_refetch_interval_seconds = o.jwks_refetch_interval_seconds;
  oc.jwks_allow_loopback_http = o.jwks_allow_loopback_http;
  oc.jwks_ca_file = o.jwks_ca_file;
  IDS_ASSIGN_OR_RETURN(node->oauth_,
                       oauth::OAuthContext::Create({*node->db_, *node->key_manager_, *node->clock_,
                                                    *node->random_, *node->oauth_clients_},
                                                   std::move(oc)));
  // OIDC Registration §5: sector_identifier_uri documents are fetched as jwks_uri ones are (the
  // oauth.jwks_* fetch settings). The node owns both and drops the OAuthContext first; the
  // registry calls the fetcher only while it serves a request or a CLI command.
  const oauth::HttpsFetcher& fetcher = node->oauth_->fetcher();
  node->registry_->clients().SetSectorFetcher(
      [&fetcher](std::string_view url) { return fetcher.GetBody(url); });
  IDS_RETURN_IF_ERROR(node->OpenPersonServices(std::move(subject_secret), std::move(qr_secret)));
  return node;
}

Result<std::vector<uint8_t>> Node::DeriveSecret(std::span<const uint8_t> kek,
                                                std::string_view label) {
  std::string_view info = label;
  return crypto::HkdfSha256(
      kek, {}, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(info.data()), info.size()),
      32);
}

Status Node::OpenPersonServices(std::vector<uint8_t> subject_secret,
                                std::vector<uint8_t> qr_secret) {
  const config::Config& c = config_;
  // The approval engine (issue 4): actions, devices, the identity part behind both.
  redeemer_ = std::make_unique<app::IdentityActivationRedeemer>(*identities_);
  sim_lookup_ = std::make_unique<app::IdentitySimBindingLookup>();
  approval::ActionOptions action_options;
  action_options.default_ttl_seconds = c.approval.action_ttl_seconds;
  action_options.max_pending_per_identity = c.approval.max_pending_per_identity;
  action_options.number_matching = c.approval.number_matching;
  action_options.code_digits = c.approval.code_digits;
  actions_ = std::make_unique<approval::Actions>(*db_, *clock_, *random_, sim_lookup_.get(),
                                                 action_options);
  // Issue 3: a member or client suspended, terminated or deleted loses its pending requests at
  // once, in the same transaction (and the login pages ask the policy again before any code is
  // issued).
  registry_->hooks().hooks.push_back(
      [](store::Transaction& tx, const registry::StatusChange& change) -> Status {
        if (change.to != "suspended" && change.to != "terminated" && change.to != "deleted")
          return Status::Ok();
        return approval::CancelPendingOfMember(tx, change.member_id, change.client_id,
                                               "system:" + change.to, change.at_ms)
            .status();
      });
  // A revoked identity's pending approvals end with it, in the same transaction: an approval
  // racing the revocation finds nothing left to approve.
  identities_->AddRevokeHook(
      [](store::Transaction& tx, std::string_view identity_id, int64_t at_ms) -> Status {
        return approval::CancelPendingOfIdentity(tx, identity_id, "system:identity_revoked", at_ms)
            .status();
      });
  approval::DeviceOptions device_options;
  device_options.pin.t_cost = static_cast<uint32_t>(c.approval.pin_t_cost);
  device_options.pin.m_cost_kib = static_cast<uint32_t>(c.approval.pin_m_cost_kib);
  device_options.max_pin_failures = c.approval.max_pin_failures;
  device_options.max_devices_per_identity = c.approval.max_devices_per_identity;
  devices_ =
      std::make_unique<approval::Devices>(*db_, *clock_, *random_, *redeemer_, device_options);
  person_devices_ = std::make_unique<app::ApprovalPersonDevices>(*devices_);
  qr_codes_ = std::make_unique<app::QrCodes>(std::move(qr_secret), *clock_);
  app::DeviceApiOptions device_api_options;
  device_api_options.public_base_url = c.server.issuer;
  device_api_ = std::make_unique<app::DeviceApi>(*db_, *identities_, *devices_, *actions_,
                                                 *qr_codes_, *clock_, device_api_options);

  // The OpenID Provider (issue 5): codes, ID tokens, userinfo, discovery.
  oidc::ProviderConfig provider_config;
  provider_config.subject_secret = std::move(subject_secret);
  provider_config.codes.lifetime_seconds = c.oidc.code_lifetime_seconds;
  provider_config.refresh_tokens.lifetime_seconds = c.oidc.refresh_token_ttl_seconds;
  provider_config.discovery.issuer = c.server.issuer;
  provider_config.discovery.require_pushed_authorization_requests =
      c.oidc.require_pushed_authorization_requests;
  provider_config.dpop = true;
  provider_config.logged_out_page = login::RenderLoggedOutPage;  // /logout, in four languages
  provider_config.error_page = login::RenderSchemeErrorPage;     // a refused /logout, likewise
  IDS_ASSIGN_OR_RETURN(provider_,
                       oidc::Provider::Create({*db_, *clock_, *random_, *key_manager_, *oauth_,
                                               *registry_, *identities_, &registry_->policy()},
                                              std::move(provider_config)));
  provider_->AddGrants(oauth_->token_endpoint());

  oidc::AuthorizationOptions authorization_options;
  authorization_options.issuer = c.server.issuer;
  authorization_options.require_pkce = c.oidc.require_pkce;
  authorization_options.require_pushed_authorization_requests =
      c.oidc.require_pushed_authorization_requests;
  authorization_options.pushed_request_lifetime_seconds = c.oidc.pushed_request_lifetime_seconds;
  authorization_options.request_object_max_lifetime_seconds =
      c.oidc.request_object_max_lifetime_seconds;
  authorization_options.clock_leeway_seconds = c.oauth.clock_leeway_seconds;
  IDS_RETURN_IF_ERROR(oidc::ValidateAuthorizationOptions(authorization_options));
  authorization_clients_ = std::make_unique<oidc::RegistryAuthorizationClients>(*registry_);
  authorization_ = std::make_unique<oidc::AuthorizationEndpoint>(
      oidc::AuthorizationEndpointDeps{*authorization_clients_, oauth_->client_auth(),
                                      oauth_->client_keys(), *key_manager_, *db_, *clock_, *random_,
                                      &registry_->policy(), &oauth_->dpop()},
      authorization_options);
  authorization_->set_error_page(login::RenderSchemeErrorPage);

  // The browser pages between the two (issues 4 and 5).
  login::LoginOptions login_options;
  login_options.issuer = c.server.issuer;
  login_options.session_lifetime_seconds = c.login.session_lifetime_seconds;
  login_options.actions_per_phone_per_hour = c.login.actions_per_phone_per_hour;
  login_options.actions_per_address_per_minute = c.login.actions_per_address_per_minute;
  IDS_RETURN_IF_ERROR(login::ValidateLoginOptions(login_options));
  app::QrCodes* qr = qr_codes_.get();
  login_ = std::make_unique<login::LoginFlow>(
      login::LoginDeps{*db_, *clock_, *random_, *actions_, *identities_, *registry_,
                       provider_->codes(),
                       [qr](std::string_view action_id) { return qr->Content(action_id); },
                       [p = provider_.get()](std::string_view client_id, std::string_view id) {
                         return p->SubjectOf(client_id, id);
                       }},
      login_options);
  return Status::Ok();
}

void Node::Housekeeping() {
  auto report = [](std::string_view what, const Status& s) {
    if (!s.ok()) log::Warn("housekeeping failed", {{"task", what}, {"error", s.message()}});
  };
  auto expired = actions_->ExpireDue();
  report("actions", expired.ok() ? Status::Ok() : expired.status());
  auto sessions = login_->PurgeExpired();
  report("login_sessions", sessions.ok() ? Status::Ok() : sessions.status());
  report("pushed_requests", authorization_->pushed_requests().PurgeExpired());
  report("provider", provider_->PurgeExpired());
  auto codes = identities_->PurgeActivationCodes();
  report("activation_codes", codes.ok() ? Status::Ok() : codes.status());
}

void Node::AddRoutes(http::Router& router) {
  router.Add("GET", "/healthz", "healthz",
             [](http::Request&) { return http::Response::JsonText(200, R"({"status":"ok"})"); });
  router.Add("GET", "/readyz", "readyz", [this](http::Request&) {
    Status s = db_->Ping();
    if (!s.ok()) {
      log::Warn("store not reachable", {{"error", s.message()}});
      return http::Response::JsonText(503, R"({"status":"unavailable","store":"unreachable"})");
    }
    return http::Response::JsonText(200, R"({"status":"ready","store":"ok"})");
  });
  router.Add("GET", "/metrics", "metrics",
             [this](http::Request&) { return http::MetricsResponse(metrics_); });
  router.Add("GET", "/jwks", "jwks", [this](http::Request&) {
    // Rotation publishes a key this long before it signs (keys::DbKeyStore::Rotate).
    auto r = http::Response::JsonText(200, *key_manager_->JwksJson());
    r.SetHeader("Content-Type", "application/jwk-set+json");
    r.CacheFor(std::chrono::seconds(keys::kJwksCacheSeconds));
    return r;
  });
  oauth::AddTokenRoutes(router, *oauth_);
  oidc::AddProviderRoutes(router, *provider_, oauth_->token_endpoint());
  oidc::AddAuthorizationRoutes(
      router, *authorization_,
      [this](const oidc::ValidatedAuthorizationRequest& request, const http::Request& http) {
        return login_->Begin(request, http);
      });
  login::AddLoginRoutes(router, *login_);
  app::AddDeviceRoutes(router, *device_api_);
  // A refused caller gets the challenge of the scheme it used: DPoP for DPoP (RFC 9449 §7.1).
  registry::AuthenticationRefusal refuse = [this](const http::Request& req, const Status& s) {
    return oauth::BearerErrorResponse(req, s, *oauth_);
  };
  registry::AddAdminRoutes(router, *registry_, BearerCallers(), refuse);
  identity::AddRegistrarRoutes(router, *identities_, *registry_, BearerCallers(), refuse);
  // Issue 4: a registrar revokes the devices of the people it registered.
  identity::AddRegistrarDeviceRoutes(router, *identities_, *person_devices_, *registry_,
                                     BearerCallers(), refuse);
  identity::AddSimControllerRoutes(router, *sim_bindings_, *registry_, BearerCallers(), refuse);
}

registry::Authenticator Node::BearerCallers() {
  return [this](http::Request& req) -> Result<registry::Caller> {
    IDS_ASSIGN_OR_RETURN(oauth::AccessContext access, oauth::AuthenticateBearer(req, *oauth_));
    registry::Caller caller;
    caller.member_id = access.member_id;
    caller.client_id = access.client_id;
    if (auto role = registry::ParseRole(access.member_role)) caller.role = *role;
    return caller;
  };
}

namespace {

http::ServerOptions ServerOptionsFrom(const config::Config& c, http::Metrics& metrics) {
  http::ServerOptions o;
  std::tie(o.address, o.port) = ListenAddress(c);
  o.worker_threads = c.server.threads;
  o.max_connections = static_cast<size_t>(c.server.max_connections);
  o.header_limit = static_cast<size_t>(c.server.header_limit_bytes);
  o.body_limit = static_cast<size_t>(c.server.body_limit_bytes);
  o.header_timeout = std::chrono::milliseconds(c.server.read_timeout_ms);
  o.body_timeout = std::chrono::milliseconds(c.server.read_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(c.server.idle_timeout_ms);
  o.tls_cert_file = c.server.tls_cert_file;
  o.tls_key_file = c.server.tls_key_file;
  // RFC 6797: a scheme reached over HTTPS (its own TLS, or an https issuer behind a TLS proxy)
  // tells browsers never to reach it over plain HTTP. Not includeSubDomains: the operator's
  // other hosts are not the scheme's to decide.
  if (!c.server.tls_cert_file.empty() ||
      (c.server.behind_tls_proxy && c.server.issuer.starts_with("https://")))
    o.strict_transport_security = "max-age=31536000";
  o.trusted_proxies = ProxyEntries(c);
  o.metrics = &metrics;
  return o;
}

}  // namespace

Status CheckConfig(const config::Config& config) {
  const config::ServerConfig& s = config.server;
  const std::vector<std::string> proxies = ProxyEntries(config);
  IDS_RETURN_IF_ERROR(
      http::TrustedProxies::Parse(proxies).status().WithContext("server.trusted_proxies"));
  IDS_RETURN_IF_ERROR(CheckReadable("server.tls_cert_file", s.tls_cert_file));
  IDS_RETURN_IF_ERROR(CheckReadable("server.tls_key_file", s.tls_key_file));
  // Readable is not yet usable: the PEM must parse and the key be the certificate's.
  IDS_RETURN_IF_ERROR(http::CheckTlsFiles(s.tls_cert_file, s.tls_key_file)
                          .WithContext("server.tls_cert_file, server.tls_key_file"));
  IDS_RETURN_IF_ERROR(keys::CheckKek(KekSourceOf(config)));
  IDS_RETURN_IF_ERROR(CheckReadable("oauth.jwks_ca_file", config.oauth.jwks_ca_file));
  return Status::Ok();
}

Result<Listening> Listen(const config::Config& config) {
  IDS_RETURN_IF_ERROR(CheckConfig(config));
  const auto [address, port] = ListenAddress(config);
  IDS_ASSIGN_OR_RETURN(http::Listener listener, http::Listener::Bind(address, port));
  Listening out{config, std::move(listener)};
  out.config.UseBoundPort(out.listener.port());
  return out;
}

Result<std::unique_ptr<Instance>> Instance::Start(const config::Config& config,
                                                  const NodeOptions& options) {
  IDS_ASSIGN_OR_RETURN(Listening listening, Listen(config));
  return Start(std::move(listening), options);
}

Result<std::unique_ptr<Instance>> Instance::Start(Listening listening, const NodeOptions& options) {
  const config::Config& config = listening.config;
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log.level, &level);
  log::SetLevel(level);
  std::unique_ptr<Instance> inst(new Instance());
  IDS_ASSIGN_OR_RETURN(inst->node_, Node::Open(config, options));
  http::Router router;
  inst->node_->AddRoutes(router);
  if (options.extra_routes) options.extra_routes(*inst->node_, router);
  inst->http_ = std::make_unique<http::Server>(ServerOptionsFrom(config, inst->node_->metrics()),
                                               std::move(router));
  IDS_RETURN_IF_ERROR(inst->http_->Start(std::move(listening.listener)));
  // Re-read the key set periodically: rotations made by another node or the CLI arrive here.
  inst->reloader_ = std::thread([self = inst.get(), every = config.keys.reload_interval_seconds] {
    std::unique_lock lock(self->mu_);
    auto last_housekeeping = std::chrono::steady_clock::now();
    while (!self->cv_.wait_for(lock, std::chrono::seconds(std::min(every, 60)),
                               [&] { return self->done_; })) {
      lock.unlock();
      Status s = self->node_->keys().Reload();
      if (!s.ok()) log::Warn("key reload failed", {{"error", s.message()}});
      // And once a minute, the expired records (Node::Housekeeping).
      if (std::chrono::steady_clock::now() - last_housekeeping >= std::chrono::seconds(60)) {
        self->node_->Housekeeping();
        last_housekeeping = std::chrono::steady_clock::now();
      }
      lock.lock();
    }
  });
  return inst;
}

uint16_t Instance::port() const { return http_->port(); }

void Instance::Wait() {
  http_->Wait();
  StopReloader();
}

void Instance::Stop() {
  http_->Stop(std::chrono::milliseconds(node_->config().server.shutdown_grace_ms));
  StopReloader();
}

void Instance::StopReloader() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (reloader_.joinable()) reloader_.join();
}

Instance::~Instance() {
  if (http_ && !http_->stopping()) Stop();
  StopReloader();
}

Status Serve(const config::Config& config, const NodeOptions& options) {
  IDS_ASSIGN_OR_RETURN(Listening listening, Listen(config));
  return Serve(std::move(listening), options);
}

Status Serve(Listening listening, const NodeOptions& options) {
  auto start = std::chrono::steady_clock::now();
  IDS_ASSIGN_OR_RETURN(auto instance, Instance::Start(std::move(listening), options));
  const config::Config& config = instance->node().config();
  instance->http().StopOnSignals(std::chrono::milliseconds(config.server.shutdown_grace_ms));
  double ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  log::Info("ready", {{"listen", config.server.listen},
                      {"port", instance->port()},
                      {"issuer", config.server.issuer},
                      {"store", instance->node().db().Describe()},
                      {"startup_ms", ready_ms}});
  if (options.on_ready) options.on_ready(instance->node());
  instance->Wait();
  log::Info("stopped");
  return Status::Ok();
}

}  // namespace idscheme::server

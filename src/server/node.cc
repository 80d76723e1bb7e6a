#include "server/node.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "audit/audit_log.h"
#include "common/log.h"
#include "crypto/random.h"
#include "http/server.h"
#include "identity/registrar_api.h"
#include "identity/sim_controller_api.h"
#include "oauth/migrations.h"
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
  return all;
}

Result<std::unique_ptr<Node>> Node::Open(const config::Config& config,
                                         const NodeOptions& options) {
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
  IDS_ASSIGN_OR_RETURN(auto db, store::Database::Open(config.StoreUrl(), config.store.pool_size));
  node->db_ = Instrument(std::move(db), node->metrics_);
  if (options.migrate) IDS_RETURN_IF_ERROR(store::Migrate(*node->db_, AllMigrations()));

  keys::KekSource kek_source{config.keys.kek, config.keys.kek_file, config.store.data_dir,
                             /*shared_store=*/!config.store.url.empty() &&
                                 config.store.url.rfind("sqlite:", 0) != 0};
  IDS_ASSIGN_OR_RETURN(auto kek, keys::LoadKek(kek_source, *node->random_));
  node->key_store_ = std::make_unique<keys::DbKeyStore>(*node->db_, std::move(kek),
                                                        *node->random_, config.keys.rsa_bits);
  node->key_manager_ = std::make_unique<keys::KeyManager>(*node->key_store_, *node->clock_);
  if (options.init_keys)
    IDS_RETURN_IF_ERROR(node->key_store_->EnsureInitialized(node->clock_->NowSeconds()));
  IDS_RETURN_IF_ERROR(node->key_manager_->Reload());

  node->registry_ = std::make_unique<registry::Registry>(*node->db_, *node->clock_, *node->random_);
  node->oauth_clients_ = std::make_unique<registry::OAuthClientDirectory>(*node->registry_);
  node->identities_ =
      std::make_unique<identity::Identities>(*node->db_, *node->clock_, *node->random_);
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
  return node;
}

void Node::AddRoutes(http::Router& router) {
  router.Add("GET", "/healthz", "healthz", [](http::Request&) {
    return http::Response::JsonText(200, R"({"status":"ok"})");
  });
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
    // Rotation publishes keys well before use, so caches of a few minutes are safe.
    auto r = http::Response::JsonText(200, *key_manager_->JwksJson());
    r.SetHeader("Content-Type", "application/jwk-set+json");
    r.CacheFor(std::chrono::seconds(300));
    return r;
  });
  oauth::AddTokenRoutes(router, *oauth_);
  registry::AddAdminRoutes(router, *registry_, BearerCallers());
  identity::AddRegistrarRoutes(router, *identities_, *registry_, BearerCallers());
  identity::AddSimControllerRoutes(router, *sim_bindings_, *registry_, BearerCallers());
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

Result<http::ServerOptions> ServerOptionsFrom(const config::Config& c, http::Metrics& metrics) {
  http::ServerOptions o;
  auto colon = c.server.listen.rfind(':');
  std::string host = c.server.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  o.address = host;
  int port = 0;
  std::from_chars(c.server.listen.data() + colon + 1,
                  c.server.listen.data() + c.server.listen.size(), port);
  o.port = static_cast<uint16_t>(port);
  o.worker_threads = c.server.threads;
  o.max_connections = static_cast<size_t>(c.server.max_connections);
  o.header_limit = static_cast<size_t>(c.server.header_limit_bytes);
  o.body_limit = static_cast<size_t>(c.server.body_limit_bytes);
  o.header_timeout = std::chrono::milliseconds(c.server.read_timeout_ms);
  o.body_timeout = std::chrono::milliseconds(c.server.read_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(c.server.idle_timeout_ms);
  o.tls_cert_file = c.server.tls_cert_file;
  o.tls_key_file = c.server.tls_key_file;
  o.metrics = &metrics;
  return o;
}

}  // namespace

Result<std::unique_ptr<Instance>> Instance::Start(const config::Config& config,
                                                  const NodeOptions& options) {
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log.level, &level);
  log::SetLevel(level);
  std::unique_ptr<Instance> inst(new Instance());
  IDS_ASSIGN_OR_RETURN(inst->node_, Node::Open(config, options));
  http::Router router;
  inst->node_->AddRoutes(router);
  IDS_ASSIGN_OR_RETURN(auto server_options, ServerOptionsFrom(config, inst->node_->metrics()));
  inst->http_ = std::make_unique<http::Server>(server_options, std::move(router));
  IDS_RETURN_IF_ERROR(inst->http_->Start());
  // Re-read the key set periodically: rotations made by another node or the CLI arrive here.
  inst->reloader_ = std::thread([self = inst.get(), every = config.keys.reload_interval_seconds] {
    std::unique_lock lock(self->mu_);
    while (!self->cv_.wait_for(lock, std::chrono::seconds(every), [&] { return self->done_; })) {
      lock.unlock();
      Status s = self->node_->keys().Reload();
      if (!s.ok()) log::Warn("key reload failed", {{"error", s.message()}});
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

Status Serve(const config::Config& config) {
  auto start = std::chrono::steady_clock::now();
  IDS_ASSIGN_OR_RETURN(auto instance, Instance::Start(config));
  instance->http().StopOnSignals(std::chrono::milliseconds(config.server.shutdown_grace_ms));
  double ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  log::Info("ready", {{"listen", config.server.listen},
                      {"port", instance->port()},
                      {"issuer", config.server.issuer},
                      {"store", instance->node().db().Describe()},
                      {"startup_ms", ready_ms}});
  instance->Wait();
  log::Info("stopped");
  return Status::Ok();
}

}  // namespace idscheme::server

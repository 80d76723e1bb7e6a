// The effective configuration of an idscheme node, and how it is assembled.
//
// Precedence, lowest first: built-in defaults, the TOML file (`--config FILE`), environment
// variables (IDSCHEME_<SECTION>_<KEY>, e.g. IDSCHEME_SERVER_ISSUER), command-line flags. Every
// key can be set at each level; the key names are the same everywhere (`server.issuer`).
// A bad value is an error naming the key and what is wrong; unknown keys are errors too, and so
// is an IDSCHEME_<SECTION>_* variable of a known section that names no key (other IDSCHEME_*
// variables belong to the tools around the server and are ignored).
//
// Thread-safety: Config is a plain value; build it once at start-up and share it read-only.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace idscheme::config {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  // Default: http://<listen>; with port 0, the port bound once the node listens (UseBoundPort).
  std::string issuer;
  bool issuer_derived = false;  // issuer was not given: Load made it from listen
  int threads = 0;              // 0 = one per core
  int max_connections = 10000;
  int header_limit_bytes = 16 * 1024;
  int body_limit_bytes = 1024 * 1024;
  int read_timeout_ms = 10'000;  // headers and body must arrive within this
  int idle_timeout_ms = 60'000;  // keep-alive connections idle longer are closed
  int shutdown_grace_ms = 10'000;
  std::string tls_cert_file;  // PEM; with tls_key_file, serve HTTPS
  std::string tls_key_file;
  bool behind_tls_proxy = false;  // plain HTTP allowed for an https issuer (proxy terminates TLS)
  // Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For names
  // the client (http/proxies.h); empty: the TCP peer is the client.
  std::string trusted_proxies;
};

struct StoreConfig {
  std::string data_dir;  // SQLite file and generated secrets live here
  std::string url;       // postgresql://... ; empty = SQLite in data_dir
  int pool_size = 8;
  // SQLite only: the node owns the file (store::SqliteLocking::kExclusive): less CPU per request,
  // but no other process (the CLI, a second node) can open it while the node runs.
  bool sqlite_exclusive = false;
};

struct KeysConfig {
  // Key-encryption key for private keys at rest: 32 bytes, base64url. Secret.
  std::string kek;
  // Or a file holding it; default <data_dir>/kek (created on first start when neither is set).
  std::string kek_file;
  int rsa_bits = 3072;
  // How long a retired signing key stays published (>= the longest token lifetime).
  int retire_after_seconds = 86'400;
  // How often a node re-reads the key set from the store (rotation by another node).
  int reload_interval_seconds = 30;
};

// [oauth]: the token endpoint, access tokens and clients' keys (see src/oauth/oauth_context.h).
struct OAuthSettings {
  std::string access_token_format = "jwt";  // jwt (RFC 9068) | opaque
  int access_token_ttl_seconds = 600;
  std::string access_token_signing_alg = "ES256";  // ES256 | PS256 | RS256 | EdDSA
  std::string access_token_audience;               // "" = the issuer
  int client_assertion_max_lifetime_seconds = 300;
  int clock_leeway_seconds = 30;
  int jwks_fetch_timeout_ms = 5000;
  int jwks_max_bytes = 64 * 1024;
  int jwks_cache_min_seconds = 60;
  int jwks_cache_max_seconds = 24 * 3600;
  int jwks_cache_default_seconds = 300;
  int jwks_refetch_interval_seconds = 10;
  bool jwks_allow_loopback_http = false;  // tests and the demo only
  std::string jwks_ca_file;  // extra CA bundle for clients' jwks_uri and sector_identifier_uri
};

// The OpenID Provider (issue 5); oidc::AuthorizationOptions and AuthorizationCodeOptions.
struct OidcSettings {
  bool require_pkce = true;
  bool require_pushed_authorization_requests = false;
  int pushed_request_lifetime_seconds = 60;
  int request_object_max_lifetime_seconds = 3600;
  int code_lifetime_seconds = 60;
  int refresh_token_ttl_seconds = 30 * 86'400;
};

// Pending actions and devices (issue 4); approval::ActionOptions and DeviceOptions.
struct ApprovalSettings {
  int action_ttl_seconds = 180;
  int max_pending_per_identity = 5;
  bool number_matching = true;
  int code_digits = 2;
  int pin_t_cost = 1;  // approval::PinParams{} (docs/pin.md)
  int pin_m_cost_kib = 64;
  int max_pin_failures = 5;
  int max_devices_per_identity = 10;
};

// The browser pages (issue 4); login::LoginOptions.
struct LoginSettings {
  int session_lifetime_seconds = 900;
  int actions_per_phone_per_hour = 10;
  int actions_per_address_per_minute = 30;
};

// Identity records (issue 3); identity::IdentityOptions.
struct IdentitySettings {
  int activation_code_ttl_seconds = 15 * 60;
  int activation_codes_per_hour = 5;
};

struct LogConfig {
  std::string level = "info";
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  KeysConfig keys;
  OAuthSettings oauth;
  OidcSettings oidc;
  ApprovalSettings approval;
  LoginSettings login;
  IdentitySettings identity;
  LogConfig log;

  // The store URL to open: store.url, else the SQLite file in data_dir.
  std::string StoreUrl() const;
  // Once server.listen is bound on `port`: when its port was 0 and the issuer was derived from
  // it, the issuer names the port bound (http://127.0.0.1:0 would be nobody's address). A given
  // issuer stays as it is: a proxy in front decides what the world calls the node.
  void UseBoundPort(uint16_t port);
  // The effective configuration as JSON; secrets are replaced by "<redacted>" when `redact`.
  nlohmann::json ToJson(bool redact = true) const;
};

struct LoadOptions {
  std::optional<std::string> file;               // TOML file
  std::map<std::string, std::string> env;        // usually the process environment
  std::map<std::string, std::string> overrides;  // from flags: key -> value
};

// Builds the configuration from the three sources and validates it.
Result<Config> Load(const LoadOptions& options);

// The process environment's IDSCHEME_* variables.
std::map<std::string, std::string> ProcessEnvironment();

// Every key, for documentation and `config check`: key, environment variable, description.
struct KeyInfo {
  std::string key;
  std::string env;
  std::string description;
  bool secret;
};
std::vector<KeyInfo> Keys();

}  // namespace idscheme::config

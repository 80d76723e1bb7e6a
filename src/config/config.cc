#include "config/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <functional>
#include <set>

#include "common/log.h"

extern char** environ;  // NOLINT

namespace idscheme::config {
namespace {

// A raw value from one of the sources, before it is checked against the key's type.
struct Raw {
  std::string text;         // env/flags, or the TOML value rendered as text
  bool from_string = true;  // false: TOML gave a typed value already in `text`
  std::string toml_type;    // "string", "integer", "boolean" when from TOML
};

using Setter = std::function<Status(Config&, const Raw&)>;
using Getter = std::function<nlohmann::json(const Config&)>;

struct Spec {
  std::string key;
  std::string description;
  bool secret = false;
  Setter set;
  Getter get;
};

Status Bad(const std::string& key, const std::string& what) {
  return Status::InvalidArgument(key + ": " + what);
}

template <typename Section>
Spec StringKey(std::string key, std::string desc, Section Config::*section,
               std::string Section::*field, bool secret = false) {
  Spec s{key, std::move(desc), secret, nullptr, nullptr};
  s.set = [key, section, field](Config& c, const Raw& raw) -> Status {
    if (!raw.from_string && raw.toml_type != "string") return Bad(key, "must be a string");
    (c.*section).*field = raw.text;
    return Status::Ok();
  };
  s.get = [section, field](const Config& c) { return nlohmann::json((c.*section).*field); };
  return s;
}

template <typename Section>
Spec IntKey(std::string key, std::string desc, Section Config::*section, int Section::*field,
            int min, int max) {
  Spec s{key, std::move(desc), false, nullptr, nullptr};
  s.set = [key, section, field, min, max](Config& c, const Raw& raw) -> Status {
    if (!raw.from_string && raw.toml_type != "integer") return Bad(key, "must be an integer");
    long long v = 0;
    auto [ptr, ec] = std::from_chars(raw.text.data(), raw.text.data() + raw.text.size(), v);
    if (ec != std::errc() || ptr != raw.text.data() + raw.text.size() || raw.text.empty())
      return Bad(key, "must be an integer, got '" + raw.text + "'");
    if (v < min || v > max)
      return Bad(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    (c.*section).*field = static_cast<int>(v);
    return Status::Ok();
  };
  s.get = [section, field](const Config& c) { return nlohmann::json((c.*section).*field); };
  return s;
}

template <typename Section>
Spec BoolKey(std::string key, std::string desc, Section Config::*section, bool Section::*field) {
  Spec s{key, std::move(desc), false, nullptr, nullptr};
  s.set = [key, section, field](Config& c, const Raw& raw) -> Status {
    if (!raw.from_string && raw.toml_type != "boolean") return Bad(key, "must be true or false");
    if (raw.text == "true" || raw.text == "1") {
      (c.*section).*field = true;
    } else if (raw.text == "false" || raw.text == "0") {
      (c.*section).*field = false;
    } else {
      return Bad(key, "must be true or false, got '" + raw.text + "'");
    }
    return Status::Ok();
  };
  s.get = [section, field](const Config& c) { return nlohmann::json((c.*section).*field); };
  return s;
}

const std::vector<Spec>& Specs() {
  static const std::vector<Spec> specs = {
      StringKey("server.listen",
                "HOST:PORT to listen on (port 0: any free port, which a default issuer names)",
                &Config::server, &ServerConfig::listen),
      StringKey("server.issuer",
                "the issuer URL (https; http only for localhost/127.0.0.1; default "
                "http://<listen>)",
                &Config::server, &ServerConfig::issuer),
      IntKey("server.threads", "worker threads (0: one per core)", &Config::server,
             &ServerConfig::threads, 0, 256),
      IntKey("server.max_connections", "open connections at most", &Config::server,
             &ServerConfig::max_connections, 1, 1'000'000),
      IntKey("server.header_limit_bytes", "largest request header block", &Config::server,
             &ServerConfig::header_limit_bytes, 1024, 1 << 20),
      IntKey("server.body_limit_bytes", "largest request body", &Config::server,
             &ServerConfig::body_limit_bytes, 1024, 64 << 20),
      IntKey("server.read_timeout_ms", "time a client has to send a whole request", &Config::server,
             &ServerConfig::read_timeout_ms, 10, 600'000),
      IntKey("server.idle_timeout_ms", "idle keep-alive connections are closed after this",
             &Config::server, &ServerConfig::idle_timeout_ms, 10, 3'600'000),
      IntKey("server.shutdown_grace_ms", "in-flight requests get this long on SIGTERM",
             &Config::server, &ServerConfig::shutdown_grace_ms, 0, 600'000),
      StringKey("server.tls_cert_file", "PEM certificate chain (serve HTTPS)", &Config::server,
                &ServerConfig::tls_cert_file),
      StringKey("server.tls_key_file", "PEM private key for the certificate", &Config::server,
                &ServerConfig::tls_key_file),
      BoolKey("server.behind_tls_proxy", "plain HTTP behind a TLS-terminating proxy",
              &Config::server, &ServerConfig::behind_tls_proxy),
      StringKey("server.trusted_proxies",
                "proxies whose X-Forwarded-For names the client: addresses or networks, "
                "comma-separated",
                &Config::server, &ServerConfig::trusted_proxies),
      StringKey("store.data_dir", "data directory (SQLite file, generated secrets)", &Config::store,
                &StoreConfig::data_dir),
      StringKey("store.url", "postgresql://... (empty: SQLite in the data directory)",
                &Config::store, &StoreConfig::url, /*secret=*/true),
      IntKey("store.pool_size", "database connections at most", &Config::store,
             &StoreConfig::pool_size, 1, 1000),
      BoolKey("store.sqlite_exclusive",
              "SQLite: this node alone opens the file (faster; the CLI is refused while it runs)",
              &Config::store, &StoreConfig::sqlite_exclusive),
      StringKey("keys.kek", "key-encryption key for private keys at rest (32 bytes base64url)",
                &Config::keys, &KeysConfig::kek, /*secret=*/true),
      StringKey("keys.kek_file", "file holding the key-encryption key", &Config::keys,
                &KeysConfig::kek_file),
      IntKey("keys.rsa_bits", "size of generated RSA keys", &Config::keys, &KeysConfig::rsa_bits,
             2048, 8192),
      IntKey("keys.retire_after_seconds", "a retired key stays published this long", &Config::keys,
             &KeysConfig::retire_after_seconds, 60, 365 * 86'400),
      IntKey("keys.reload_interval_seconds", "how often the key set is re-read from the store",
             &Config::keys, &KeysConfig::reload_interval_seconds, 1, 3600),
      StringKey("oauth.access_token_format", "jwt (RFC 9068) or opaque", &Config::oauth,
                &OAuthSettings::access_token_format),
      IntKey("oauth.access_token_ttl_seconds", "access token lifetime", &Config::oauth,
             &OAuthSettings::access_token_ttl_seconds, 30, 86'400),
      StringKey("oauth.access_token_signing_alg", "ES256, PS256, RS256 or EdDSA", &Config::oauth,
                &OAuthSettings::access_token_signing_alg),
      StringKey("oauth.access_token_audience", "aud of JWT access tokens (empty: the issuer)",
                &Config::oauth, &OAuthSettings::access_token_audience),
      IntKey("oauth.client_assertion_max_lifetime_seconds",
             "longest exp - iat accepted in a client assertion", &Config::oauth,
             &OAuthSettings::client_assertion_max_lifetime_seconds, 10, 3600),
      IntKey("oauth.clock_leeway_seconds", "clock skew tolerated in clients' JWTs", &Config::oauth,
             &OAuthSettings::clock_leeway_seconds, 0, 300),
      IntKey("oauth.jwks_fetch_timeout_ms",
             "timeout fetching a document a client registers by URL (jwks_uri, "
             "sector_identifier_uri)",
             &Config::oauth, &OAuthSettings::jwks_fetch_timeout_ms, 100, 60'000),
      IntKey("oauth.jwks_max_bytes",
             "largest document fetched from a client's URL (jwks_uri, sector_identifier_uri)",
             &Config::oauth, &OAuthSettings::jwks_max_bytes, 1024, 1 << 20),
      IntKey("oauth.jwks_cache_min_seconds", "a fetched JWK Set is kept at least this long",
             &Config::oauth, &OAuthSettings::jwks_cache_min_seconds, 0, 86'400),
      IntKey("oauth.jwks_cache_max_seconds", "and at most this long", &Config::oauth,
             &OAuthSettings::jwks_cache_max_seconds, 1, 7 * 86'400),
      IntKey("oauth.jwks_cache_default_seconds", "kept this long without Cache-Control",
             &Config::oauth, &OAuthSettings::jwks_cache_default_seconds, 1, 7 * 86'400),
      IntKey("oauth.jwks_refetch_interval_seconds",
             "an unknown kid refetches a jwks_uri at most this often", &Config::oauth,
             &OAuthSettings::jwks_refetch_interval_seconds, 0, 3600),
      BoolKey("oauth.jwks_allow_loopback_http",
              "fetch documents clients register by URL (jwks_uri, sector_identifier_uri) over "
              "plain http from loopback addresses (tests, demo)",
              &Config::oauth, &OAuthSettings::jwks_allow_loopback_http),
      StringKey("oauth.jwks_ca_file",
                "extra CA bundle (PEM) trusted for documents clients register by URL (jwks_uri, "
                "sector_identifier_uri)",
                &Config::oauth, &OAuthSettings::jwks_ca_file),
      BoolKey("oidc.require_pkce", "PKCE (S256) required in every authorization request",
              &Config::oidc, &OidcSettings::require_pkce),
      BoolKey("oidc.require_pushed_authorization_requests", "PAR required for every client",
              &Config::oidc, &OidcSettings::require_pushed_authorization_requests),
      IntKey("oidc.pushed_request_lifetime_seconds", "lifetime of a PAR request_uri", &Config::oidc,
             &OidcSettings::pushed_request_lifetime_seconds, 5, 600),
      IntKey("oidc.request_object_max_lifetime_seconds", "longest exp - nbf of a request object",
             &Config::oidc, &OidcSettings::request_object_max_lifetime_seconds, 10, 3600),
      IntKey("oidc.code_lifetime_seconds", "authorization code lifetime", &Config::oidc,
             &OidcSettings::code_lifetime_seconds, 5, 600),
      IntKey("oidc.refresh_token_ttl_seconds", "refresh token lifetime", &Config::oidc,
             &OidcSettings::refresh_token_ttl_seconds, 60, 365 * 86'400),
      IntKey("approval.action_ttl_seconds", "how long a pending action waits for the person",
             &Config::approval, &ApprovalSettings::action_ttl_seconds, 30, 600),
      IntKey("approval.max_pending_per_identity", "pending actions one person may have",
             &Config::approval, &ApprovalSettings::max_pending_per_identity, 1, 100),
      BoolKey("approval.number_matching", "the app has the person pick the page's code",
              &Config::approval, &ApprovalSettings::number_matching),
      IntKey("approval.code_digits", "digits of the verification code", &Config::approval,
             &ApprovalSettings::code_digits, 2, 6),
      IntKey("approval.pin_t_cost", "Argon2id passes of the PIN verifier", &Config::approval,
             &ApprovalSettings::pin_t_cost, 1, 10),
      IntKey("approval.pin_m_cost_kib", "Argon2id memory of the PIN verifier (KiB)",
             &Config::approval, &ApprovalSettings::pin_m_cost_kib, 8, 1 << 20),
      IntKey("approval.max_pin_failures", "consecutive wrong PINs that lock a device",
             &Config::approval, &ApprovalSettings::max_pin_failures, 1, 5),
      IntKey("approval.max_devices_per_identity",
             "active devices one person may have (locked ones do not count)", &Config::approval,
             &ApprovalSettings::max_devices_per_identity, 1, 100),
      IntKey("login.session_lifetime_seconds", "how long a browser's login may take",
             &Config::login, &LoginSettings::session_lifetime_seconds, 60, 3600),
      IntKey("login.actions_per_phone_per_hour", "logins started per phone number per hour",
             &Config::login, &LoginSettings::actions_per_phone_per_hour, 1, 1000),
      IntKey("login.actions_per_address_per_minute", "logins started per client address per minute",
             &Config::login, &LoginSettings::actions_per_address_per_minute, 1, 100'000),
      IntKey("identity.activation_code_ttl_seconds", "lifetime of an app activation code",
             &Config::identity, &IdentitySettings::activation_code_ttl_seconds, 60, 7 * 86'400),
      IntKey("identity.activation_codes_per_hour", "activation codes per identity per hour",
             &Config::identity, &IdentitySettings::activation_codes_per_hour, 1, 100),
      StringKey("log.level", "debug, info, warn, error or off", &Config::log, &LogConfig::level),
  };
  return specs;
}

const Spec* FindSpec(std::string_view key) {
  for (const auto& s : Specs())
    if (s.key == key) return &s;
  return nullptr;
}

std::string EnvName(const std::string& key) {
  std::string env = "IDSCHEME_";
  for (char c : key) env.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return env;
}

// Variables of the tools around the server (tests, scripts: IDSCHEME_TEST_PG_URL, IDSCHEME_BIN)
// share the prefix, so not every IDSCHEME_* variable is configuration. One that begins like a
// key's, IDSCHEME_<SECTION>_ with a section of the configuration, is configuration and must name
// a key: a typo in any section is an error, not a setting silently left at its default.
Status CheckEnvironmentName(const std::string& env) {
  struct Names {
    std::set<std::string> keys;                   // IDSCHEME_SERVER_LISTEN, ...
    std::map<std::string, std::string> sections;  // IDSCHEME_SERVER_ -> server
  };
  static const Names kNames = [] {
    Names n;
    for (const auto& spec : Specs()) {
      n.keys.insert(EnvName(spec.key));
      const std::string section = spec.key.substr(0, spec.key.find('.'));
      n.sections.emplace(EnvName(section) + "_", section);
    }
    return n;
  }();
  if (kNames.keys.count(env)) return Status::Ok();
  for (const auto& [prefix, section] : kNames.sections) {
    if (env.rfind(prefix, 0) == 0)
      return Status::InvalidArgument(env + ": unknown configuration variable (" + prefix +
                                     "* set keys of [" + section +
                                     "]; `idscheme config keys` lists them)");
  }
  return Status::Ok();
}

Status ApplyToml(Config& c, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Status::InvalidArgument("config file " + path + " line " + std::to_string(where.line) +
                                   ": " + std::string(e.description()));
  }
  for (auto&& [section, node] : table) {
    const auto* inner = node.as_table();
    if (!inner)
      return Status::InvalidArgument(std::string(section.str()) + ": expected a [section] table");
    for (auto&& [name, value] : *inner) {
      std::string key = std::string(section.str()) + "." + std::string(name.str());
      const Spec* spec = FindSpec(key);
      if (!spec) return Bad(key, "unknown configuration key (file " + path + ")");
      Raw raw{"", false, ""};
      if (auto s = value.value<std::string>(); s && value.is_string()) {
        raw.text = *s;
        raw.toml_type = "string";
      } else if (value.is_integer()) {
        raw.text = std::to_string(*value.value<int64_t>());
        raw.toml_type = "integer";
      } else if (value.is_boolean()) {
        raw.text = *value.value<bool>() ? "true" : "false";
        raw.toml_type = "boolean";
      } else {
        raw.toml_type = "other";
      }
      IDS_RETURN_IF_ERROR(spec->set(c, raw));
    }
  }
  return Status::Ok();
}

bool IsLoopbackHttp(std::string_view url) {
  for (std::string_view prefix : {"http://localhost", "http://127.0.0.1", "http://[::1]"}) {
    if (url.substr(0, prefix.size()) == prefix) {
      char next = url.size() > prefix.size() ? url[prefix.size()] : '/';
      if (next == ':' || next == '/') return true;
    }
  }
  return false;
}

Status Validate(Config& c) {
  // server.listen: HOST:PORT
  auto colon = c.server.listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Bad("server.listen", "must be HOST:PORT, got '" + c.server.listen + "'");
  int port = -1;
  std::string_view port_text(c.server.listen.data() + colon + 1,
                             c.server.listen.size() - colon - 1);
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return Bad("server.listen", "port must be 0..65535, got '" + std::string(port_text) + "'");

  c.server.issuer_derived = c.server.issuer.empty();
  if (c.server.issuer_derived) c.server.issuer = "http://" + c.server.listen;
  const std::string& iss = c.server.issuer;
  // OIDC Discovery §3 / OIDC Core §2: the issuer is an https URL with no query or fragment.
  if (iss.find('?') != std::string::npos || iss.find('#') != std::string::npos)
    return Bad("server.issuer", "must not have a query or fragment");
  if (!iss.empty() && iss.back() == '/') return Bad("server.issuer", "must not end with '/'");
  bool https = iss.rfind("https://", 0) == 0;
  bool http = iss.rfind("http://", 0) == 0;
  if (!https && !http) return Bad("server.issuer", "must be an https:// URL, got '" + iss + "'");
  if (http && !IsLoopbackHttp(iss) && !c.server.behind_tls_proxy)
    return Bad("server.issuer",
               "plain http is allowed only for localhost/127.0.0.1, or with "
               "server.behind_tls_proxy = true");
  if (c.server.tls_cert_file.empty() != c.server.tls_key_file.empty())
    return Bad("server.tls_key_file", "tls_cert_file and tls_key_file go together");
  if (https && c.server.tls_cert_file.empty() && !c.server.behind_tls_proxy)
    return Bad("server.tls_cert_file",
               "an https issuer needs a certificate (or server.behind_tls_proxy = true)");

  if (c.oauth.access_token_format != "jwt" && c.oauth.access_token_format != "opaque")
    return Bad("oauth.access_token_format", "must be jwt or opaque");
  static const std::set<std::string> kTokenAlgs = {"ES256", "PS256", "RS256", "EdDSA"};
  if (!kTokenAlgs.count(c.oauth.access_token_signing_alg))
    return Bad("oauth.access_token_signing_alg", "must be one of ES256, PS256, RS256, EdDSA");
  if (c.oauth.jwks_cache_min_seconds > c.oauth.jwks_cache_max_seconds)
    return Bad("oauth.jwks_cache_min_seconds", "must not exceed oauth.jwks_cache_max_seconds");

  if (c.store.url.empty() && c.store.data_dir.empty())
    return Bad("store.data_dir", "set a data directory (--data DIR) or a store URL (--store)");
  if (!c.store.url.empty() && c.store.url.rfind("postgresql://", 0) != 0 &&
      c.store.url.rfind("postgres://", 0) != 0 && c.store.url.rfind("sqlite:", 0) != 0)
    return Bad("store.url", "must start with postgresql:// or sqlite:");

  if (!c.keys.kek.empty()) {
    size_t n = c.keys.kek.size();
    if (n != 43) return Bad("keys.kek", "must be 32 bytes, base64url without padding (43 chars)");
  }
  log::Level level;
  if (!log::ParseLevel(c.log.level, &level))
    return Bad("log.level", "must be one of debug, info, warn, error, off");
  return Status::Ok();
}

}  // namespace

std::string Config::StoreUrl() const {
  if (!store.url.empty()) return store.url;
  return store.data_dir + "/idscheme.db";
}

void Config::UseBoundPort(uint16_t port) {
  const auto colon = server.listen.rfind(':');
  if (!server.issuer_derived || colon == std::string::npos) return;
  int configured = -1;
  std::from_chars(server.listen.data() + colon + 1, server.listen.data() + server.listen.size(),
                  configured);
  if (configured != 0) return;
  server.issuer = "http://" + server.listen.substr(0, colon + 1) + std::to_string(port);
}

nlohmann::json Config::ToJson(bool redact) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : Specs()) {
    auto dot = s.key.find('.');
    std::string section = s.key.substr(0, dot), name = s.key.substr(dot + 1);
    nlohmann::json v = s.get(*this);
    if (redact && s.secret && v.is_string() && !v.get<std::string>().empty()) {
      if (s.key == "store.url") {
        // Keep the URL readable, drop only the password.
        std::string url = v.get<std::string>();
        auto scheme_end = url.find("://");
        auto at = url.find('@');
        if (scheme_end != std::string::npos && at != std::string::npos) {
          auto colon = url.find(':', scheme_end + 3);
          if (colon != std::string::npos && colon < at)
            url = url.substr(0, colon + 1) + "<redacted>" + url.substr(at);
        }
        auto pw = url.find("password=");
        if (pw != std::string::npos) url = url.substr(0, pw) + "password=<redacted>";
        v = url;
      } else {
        v = "<redacted>";
      }
    }
    out[section][name] = v;
  }
  return out;
}

Result<Config> Load(const LoadOptions& options) {
  Config c;
  if (options.file) IDS_RETURN_IF_ERROR(ApplyToml(c, *options.file));
  for (const auto& spec : Specs()) {
    auto it = options.env.find(EnvName(spec.key));
    if (it != options.env.end())
      IDS_RETURN_IF_ERROR(
          spec.set(c, Raw{it->second, true, ""}).WithContext("environment " + it->first));
  }
  for (const auto& [env, value] : options.env) IDS_RETURN_IF_ERROR(CheckEnvironmentName(env));
  for (const auto& [key, value] : options.overrides) {
    const Spec* spec = FindSpec(key);
    if (!spec) return Bad(key, "unknown configuration key");
    IDS_RETURN_IF_ERROR(spec->set(c, Raw{value, true, ""}));
  }
  IDS_RETURN_IF_ERROR(Validate(c));
  return c;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("IDSCHEME_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::vector<KeyInfo> Keys() {
  std::vector<KeyInfo> out;
  for (const auto& s : Specs()) out.push_back({s.key, EnvName(s.key), s.description, s.secret});
  return out;
}

}  // namespace idscheme::config

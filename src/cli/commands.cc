#include "cli/commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <tuple>

#include "audit/audit_log.h"
#include "cli/app_commands.h"
#include "cli/common_flags.h"
#include "cli/demo_seed.h"
#include "cli/demo_shop.h"
#include "cli/identity_commands.h"
#include "cli/registry_commands.h"
#include "common/log.h"
#include "config/config.h"
#include "server/node.h"
#include "store/migrations.h"

namespace idscheme::cli {
namespace {

int Serve(const CommonFlags& flags) {
  auto cfg = flags.Load();
  if (!cfg.ok()) return Fail(cfg.status());
  Status s = server::Serve(*cfg);
  return s.ok() ? 0 : Fail(s);
}

// How this binary is best named in printed commands: relative to the working directory when
// it lies below it.
std::string SelfCommand() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "idscheme";
  auto rel = std::filesystem::relative(exe, std::filesystem::current_path(), ec);
  if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) return rel.string();
  return exe.string();
}

// The demo's guide, printed once the node listens: its URLs, the sandbox members, and a login
// to try. Until the demo's phone is enrolled, each start hands out a fresh activation code.
void PrintDemoGuide(const config::Config& cfg, const nlohmann::json& seeded, server::Node& node) {
  const std::string& iss = cfg.server.issuer;
  const std::string phone_state = cfg.store.data_dir + "/phone.json";
  std::cout << "idscheme demo: a local sandbox scheme on the embedded store (" << cfg.store.data_dir
            << ")\n"
            << "  issuer      " << iss << "  (discovery: " << iss
            << "/.well-known/openid-configuration)\n"
            << "  demo shop   " << iss << "/demo  (a service provider logging people in)\n"
            << "  token       " << iss << "/token  (also /introspect, /revoke)\n"
            << "  admin API   " << iss << "/admin/v1/members  (a scheme manager's token)\n"
            << "  registrar   " << iss << "/registrar/v1/identities\n"
            << "  health      " << iss << "/healthz, " << iss << "/metrics\n";
  if (!seeded.empty()) {
    std::cout << "\nSandbox members and their clients (client_secret_basic; also in "
              << cfg.store.data_dir << "/demo-credentials.json):\n";
    for (const auto& m : seeded) {
      if (!m.contains("client_id")) continue;
      std::cout << "  " << m["role"].get<std::string>() << "  "
                << m["display_name"].get<std::string>() << "\n      client_id "
                << m["client_id"].get<std::string>() << "  client_secret "
                << m["client_secret"].get<std::string>() << "\n";
    }
    const auto& admin = seeded.front();
    std::cout << "\nTry the APIs: a token for the scheme manager's client, then the members:\n"
              << "  curl -s -u " << admin["client_id"].get<std::string>() << ":"
              << admin["client_secret"].get<std::string>() << " -d grant_type=client_credentials "
              << iss << "/token\n"
              << "  curl -s -H \"Authorization: Bearer ACCESS_TOKEN\" " << iss
              << "/admin/v1/members\n";
    const std::string self = SelfCommand();
    std::cout << "\nTry a login as Anna de Vries (phone " << kDemoPersonPhone
              << "), approving with the reference app in another terminal:\n";
    if (std::filesystem::exists(phone_state)) {
      std::cout << "  1. the app is enrolled (" << phone_state
                << "; delete it for a new activation code)\n";
    } else {
      for (const auto& m : seeded) {
        if (m["role"] != "person") continue;
        auto code = node.identities().IssueActivationCode(identity::Actor::Operator(),
                                                          m["identity_id"].get<std::string>());
        if (code.ok()) {
          std::cout << "  1. enrol the app once:  " << self << " app --server " << iss
                    << " --state " << phone_state << " enroll --code " << code->code
                    << " --pin 1234\n";
        } else {
          // The usual reason: the hourly limit of codes, after several starts without enrolling.
          std::cout << "  1. no activation code for the app now: " << code.status().message()
                    << "\n     (or start over: stop the demo and delete " << cfg.store.data_dir
                    << ")\n";
        }
        break;
      }
    }
    std::cout << "  2. open " << iss << "/demo in a browser, log in, type the phone number\n"
              << "  3. approve with the code the page shows:  " << self << " app --state "
              << phone_state << " approve --code CODE --pin 1234\n";
  }
  std::cout << "Ctrl-C stops it.\n" << std::flush;
}

int Demo(CommonFlags flags) {
  if (flags.data_dir.empty() && flags.store_url.empty()) flags.data_dir = "demo-data";
  if (flags.listen.empty()) flags.listen = "127.0.0.1:8080";
  auto loaded = flags.Load();
  if (!loaded.ok()) return Fail(loaded.status());
  // The port first: with --listen HOST:0 the issuer, the shop's redirect URI and the guide name
  // the port the system chose; and a demo that cannot take its port seeds nothing.
  auto listening = server::Listen(*loaded);
  if (!listening.ok()) return Fail(listening.status());
  const config::Config cfg = listening->config;
  nlohmann::json seeded = nlohmann::json::array();
  if (!cfg.store.data_dir.empty()) {
    auto node = server::Node::Open(cfg);
    if (!node.ok()) return Fail(node.status());
    auto s =
        SeedDemo((*node)->registry(), (*node)->identities(), cfg.store.data_dir, cfg.server.issuer);
    if (!s.ok()) return Fail(s.status());
    seeded = std::move(s).value();
  }
  std::optional<DemoShopClient> shop;
  for (const auto& m : seeded) {
    if (m.contains("client_id") && m["role"] == "service_provider") {
      shop = DemoShopClient{cfg.server.issuer, m["client_id"].get<std::string>(),
                            m["client_secret"].get<std::string>()};
    }
  }
  server::NodeOptions options;
  if (shop) {
    options.extra_routes = [client = *shop](server::Node& node, http::Router& router) {
      AddDemoShopRoutes(router, node, client);
    };
  }
  // Printed only once the server runs: a guide for a demo that then fails to start would send
  // the app to a port nobody answers on.
  options.on_ready = [&cfg, &seeded](server::Node& node) { PrintDemoGuide(cfg, seeded, node); };
  Status s = server::Serve(std::move(listening).value(), options);
  return s.ok() ? 0 : Fail(s);
}

int Migrate(const CommonFlags& flags) {
  auto cfg = flags.Load();
  if (!cfg.ok()) return Fail(cfg.status());
  auto node = server::Node::Open(*cfg, {.migrate = true, .init_keys = false});
  if (!node.ok()) return Fail(node.status());
  auto version = store::CurrentVersion((*node)->db());
  if (!version.ok()) return Fail(version.status());
  if (flags.json) {
    std::cout << nlohmann::json{{"version", *version}}.dump() << "\n";
  } else {
    std::cout << "store " << (*node)->db().Describe() << " is at schema version " << *version
              << "\n";
  }
  return 0;
}

int KeysList(const CommonFlags& flags) {
  auto node = OpenNode(flags, /*migrate=*/true, StoreUse::kMustExist);
  if (!node.ok()) return Fail(node.status());
  auto records = (*node)->keys().Records();
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.slot, a.state) < std::tie(b.slot, b.state);
  });
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : records)
      out.push_back({{"kid", r.kid},
                     {"slot", r.slot},
                     {"use", r.use},
                     {"state", keys::KeyStateName(r.state)},
                     {"created_at", r.created_at},
                     {"activated_at", r.activated_at},
                     {"remove_after", r.remove_after}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-14s %-9s %-4s %s\n", "SLOT", "STATE", "USE", "KID");
  for (const auto& r : records)
    std::printf("%-14s %-9s %-4s %s\n", r.slot.c_str(),
                std::string(keys::KeyStateName(r.state)).c_str(), r.use.c_str(), r.kid.c_str());
  return 0;
}

int KeysRotate(const CommonFlags& flags, const std::vector<std::string>& slots, bool force) {
  auto node = OpenNode(flags, /*migrate=*/true, StoreUse::kMustExist);
  if (!node.ok()) return Fail(node.status());
  auto& n = **node;
  // A next key signs only once every node has reloaded and every relying party's JWKS cache
  // has expired since it was published.
  const int64_t min_published =
      force ? 0 : keys::kJwksCacheSeconds + n.config().keys.reload_interval_seconds;
  auto report = n.key_store().Rotate(slots, n.clock().NowSeconds(),
                                     n.config().keys.retire_after_seconds, min_published);
  if (!report.ok()) {
    // Too early for a slot (the store says how long to wait): the way around it is ours to name.
    if (!force && report.status().code() == Status::Code::kFailedPrecondition &&
        report.status().message().find("rotate again in") != std::string::npos)
      return Fail(Status::FailedPrecondition(
          report.status().message() + ", or now with --force, only if a key is compromised"));
    return Fail(report.status());
  }
  if (flags.json) {
    nlohmann::json out = {{"rotated", nlohmann::json::array()}, {"removed", report->removed_kids}};
    for (const auto& c : report->changes)
      out["rotated"].push_back({{"slot", c.slot},
                                {"active", c.active_kid},
                                {"next", c.next_kid},
                                {"retiring", c.retiring_kid}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& c : report->changes)
    std::cout << c.slot << ": now active " << c.active_kid << " (published since the last "
              << "rotation); next " << c.next_kid << "; " << c.retiring_kid
              << " stays published for " << n.config().keys.retire_after_seconds << " s\n";
  for (const auto& kid : report->removed_kids) std::cout << "removed " << kid << "\n";
  std::cout << "Running nodes pick the change up within " << n.config().keys.reload_interval_seconds
            << " s.\n";
  return 0;
}

int AuditVerify(const CommonFlags& flags) {
  auto node = OpenNode(flags, /*migrate=*/false, StoreUse::kMustExist);
  if (!node.ok()) return Fail(node.status());
  auto report = audit::Verify((*node)->db());
  if (!report.ok()) return Fail(report.status());
  if (flags.json) {
    nlohmann::json out = {{"ok", report->ok}, {"entries", report->entries}};
    if (report->first_bad) out["first_bad"] = *report->first_bad;
    if (!report->reason.empty()) out["reason"] = report->reason;
    std::cout << out.dump() << "\n";
  } else if (report->ok) {
    std::cout << "audit log OK: " << report->entries << " entries, chain intact\n";
  } else {
    std::cout << "audit log BROKEN at entry " << report->first_bad.value_or(0) << ": "
              << report->reason << "\n";
  }
  return report->ok ? 0 : 1;
}

int AuditList(const CommonFlags& flags, int64_t after, int limit) {
  auto node = OpenNode(flags, /*migrate=*/false, StoreUse::kMustExist);
  if (!node.ok()) return Fail(node.status());
  auto entries = audit::List((*node)->db(), after, limit);
  if (!entries.ok()) return Fail(entries.status());
  for (const auto& e : *entries) {
    nlohmann::json line = {{"seq", e.seq},
                           {"time_ms", e.time_ms},
                           {"actor", e.event.actor},
                           {"action", e.event.action},
                           {"subject", e.event.subject},
                           {"details", e.event.details},
                           {"hash", e.hash}};
    std::cout << line.dump() << "\n";
  }
  return 0;
}

int AuditHead(const CommonFlags& flags) {
  auto node = OpenNode(flags, /*migrate=*/false, StoreUse::kMustExist);
  if (!node.ok()) return Fail(node.status());
  auto head = (*node)->db().Exec("SELECT seq, hash FROM audit_head WHERE id = 1");
  if (!head.ok()) return Fail(head.status());
  if (head->rows.empty()) return Fail(Status::NotFound("no audit head"));
  std::cout << nlohmann::json{{"seq", head->rows[0].Int(0)}, {"hash", head->rows[0].Text(1)}}.dump()
            << "\n";
  return 0;
}

int ConfigCheck(const CommonFlags& flags) {
  auto cfg = flags.Load();
  // What serve would refuse before it opens anything, found without creating anything.
  Status checked = cfg.ok() ? server::CheckConfig(*cfg) : cfg.status();
  if (!checked.ok()) {
    std::cerr << "configuration error: " << checked.message() << "\n";
    return 1;
  }
  std::cout << cfg->ToJson(/*redact=*/true).dump(2) << "\n";
  if (!flags.json) std::cerr << "configuration OK\n";
  return 0;
}

int ConfigKeys() {
  for (const auto& k : config::Keys())
    std::printf("%-28s %-36s %s%s\n", k.key.c_str(), k.env.c_str(), k.description.c_str(),
                k.secret ? " (secret)" : "");
  return 0;
}

}  // namespace

struct UnknownWord {
  std::string word;    // what was typed
  std::string parent;  // the command line up to it, e.g. "idscheme app"
};

// The command line down to the deepest command recognised, e.g. "idscheme app".
std::string CommandPath(CLI::App& root) {
  CLI::App* at = &root;
  std::string path = root.get_name();
  for (;;) {
    auto parsed = at->get_subcommands();
    if (parsed.empty()) break;
    at = parsed.front();
    path += " " + at->get_name();
  }
  return path;
}

// After a parse that stopped for a missing subcommand: the first word left over that is not an
// option, below the deepest command that was recognised.
std::optional<UnknownWord> UnknownCommand(CLI::App& root) {
  for (const std::string& word : root.remaining(/*recurse=*/true)) {
    if (!word.empty() && word.front() != '-') return UnknownWord{word, CommandPath(root)};
  }
  return std::nullopt;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "idscheme — a digital identity scheme: OpenID Provider, member registry, "
      "phone-app approvals"};
  app.name("idscheme");
  app.require_subcommand(1);
  app.set_version_flag("--version", "idscheme 0.1.0");
  app.footer("Run 'idscheme COMMAND --help' for a command's flags.");

  CommonFlags flags;
  int rc = 0;

  auto* serve = app.add_subcommand("serve", "Run a node: the scheme's HTTP endpoints");
  flags.AddStoreFlags(serve);
  flags.AddServerFlags(serve);
  serve->callback([&] { rc = Serve(flags); });

  auto* demo = app.add_subcommand("demo", "Run a local sandbox scheme on the embedded store");
  flags.AddStoreFlags(demo);
  flags.AddServerFlags(demo);
  demo->footer(
      "Defaults: --data demo-data, --listen 127.0.0.1:8080. It seeds a sandbox member of each "
      "role, a person to log in as and a demo shop at /demo, then prints how to try them.");
  demo->callback([&] { rc = Demo(flags); });

  auto* migrate = app.add_subcommand("migrate", "Apply pending schema migrations to the store");
  flags.AddStoreFlags(migrate);
  flags.AddJsonFlag(migrate);
  migrate->callback([&] { rc = Migrate(flags); });

  auto* keys =
      app.add_subcommand("keys", "List and rotate the scheme's signing and encryption keys");
  keys->require_subcommand(1);
  auto* keys_list = keys->add_subcommand("list", "List the published keys and their states");
  flags.AddStoreFlags(keys_list);
  flags.AddJsonFlag(keys_list);
  keys_list->callback([&] { rc = KeysList(flags); });
  std::vector<std::string> slots;
  auto* keys_rotate = keys->add_subcommand(
      "rotate", "Promote next keys to active, retire the old ones (no downtime)");
  flags.AddStoreFlags(keys_rotate);
  flags.AddJsonFlag(keys_rotate);
  keys_rotate->add_option("--slot", slots,
                          "only these slots (ES256, PS256, RS256, EdDSA, "
                          "RSA-OAEP-256, ECDH-ES); default all");
  bool force_rotation = false;
  keys_rotate->add_flag("--force", force_rotation,
                        "promote next keys at once, even those published too recently for every "
                        "node and relying party to know them (only for a compromised key: for "
                        "up to keys.reload_interval_seconds + 300 s, tokens they sign may be "
                        "refused)");
  keys_rotate->callback([&] { rc = KeysRotate(flags, slots, force_rotation); });

  auto* audit = app.add_subcommand("audit", "Verify and read the hash-chained audit log");
  audit->require_subcommand(1);
  auto* audit_verify =
      audit->add_subcommand("verify", "Check the whole chain; name the first bad entry");
  flags.AddStoreFlags(audit_verify);
  flags.AddJsonFlag(audit_verify);
  audit_verify->callback([&] { rc = AuditVerify(flags); });
  int64_t after = 0;
  int limit = 100;
  auto* audit_list = audit->add_subcommand("list", "Print entries as JSON lines, oldest first");
  flags.AddStoreFlags(audit_list);
  audit_list->add_option("--after", after, "entries after this sequence number");
  audit_list->add_option("--limit", limit, "at most this many entries")
      ->check(CLI::Range(1, 100000));
  audit_list->callback([&] { rc = AuditList(flags, after, limit); });
  auto* audit_head = audit->add_subcommand(
      "head", "Print the last sequence number and hash (record it elsewhere as a witness)");
  flags.AddStoreFlags(audit_head);
  audit_head->callback([&] { rc = AuditHead(flags); });

  AddRegistryCommands(app, flags, rc);
  AddIdentityCommands(app, flags, rc);
  AddAppCommands(app, rc);

  auto* config = app.add_subcommand("config", "Check and print the effective configuration");
  config->require_subcommand(1);
  auto* config_check = config->add_subcommand(
      "check",
      "Validate the configuration as serve would (values, networks, the files it names) and "
      "print it with secrets redacted; creates nothing");
  flags.AddStoreFlags(config_check);
  flags.AddServerFlags(config_check);
  flags.AddJsonFlag(config_check);
  config_check->callback([&] { rc = ConfigCheck(flags); });
  auto* config_keys =
      config->add_subcommand("keys", "List every configuration key and its variable");
  config_keys->callback([&] { rc = ConfigKeys(); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a word that names no command as a missing command: name the word instead.
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      if (auto unknown = UnknownCommand(app)) {
        std::cerr << "idscheme: '" << unknown->word << "' is not a command of '" << unknown->parent
                  << "'; run '" << unknown->parent << " --help' for the commands\n";
        return 2;
      }
      if (std::string_view(e.what()).find("subcommand") != std::string_view::npos) {
        const std::string path = CommandPath(app);
        std::cerr << "idscheme: '" << path << "' needs a command; run '" << path
                  << " --help' for them\n";
        return 2;
      }
    }
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return rc;
}

}  // namespace idscheme::cli

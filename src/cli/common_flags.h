// Flags and helpers shared by the `idscheme` subcommands (see commands.h).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "server/node.h"

namespace idscheme::cli {

// Flags shared by every command that reads the configuration.
struct CommonFlags {
  std::string config_file;
  std::string data_dir;
  std::string store_url;
  std::string issuer;
  std::string listen;
  std::vector<std::string> sets;
  bool json = false;

  void AddStoreFlags(CLI::App* cmd) {
    cmd->add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
    cmd->add_option("--data", data_dir, "data directory (SQLite store, generated secrets)");
    cmd->add_option("--store", store_url, "store URL, e.g. postgresql://user@host/db");
    cmd->add_option("--set", sets, "any configuration key, KEY=VALUE (repeatable)");
  }
  void AddServerFlags(CLI::App* cmd) {
    cmd->add_option("--issuer", issuer,
                    "issuer URL (https; http only for localhost; default http://<listen>)");
    cmd->add_option("--listen", listen,
                    "HOST:PORT to listen on (port 0: any free port, which the default issuer "
                    "then names)");
  }
  void AddJsonFlag(CLI::App* cmd) { cmd->add_flag("--json", json, "print JSON"); }

  // The configuration from --config, the environment, --set and the named flags.
  Result<config::Config> Load() const {
    config::LoadOptions o;
    if (!config_file.empty()) o.file = config_file;
    o.env = config::ProcessEnvironment();
    for (const auto& kv : sets) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return Status::InvalidArgument("--set wants KEY=VALUE, got '" + kv + "'");
      o.overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!data_dir.empty()) o.overrides["store.data_dir"] = data_dir;
    if (!store_url.empty()) o.overrides["store.url"] = store_url;
    if (!issuer.empty()) o.overrides["server.issuer"] = issuer;
    if (!listen.empty()) o.overrides["server.listen"] = listen;
    return config::Load(o);
  }
};

// Prints "idscheme: <message>" on stderr and returns exit code 1.
int Fail(const Status& s);

// Whether a command may start a new store where none is (SQLite: no idscheme.db in --data yet).
// Commands that only read need one already: a mistyped --data is then an error, not a new, empty
// store with keys of its own.
enum class StoreUse { kMayCreate, kMustExist };

// Opens a node on the configured store for an operator command (logs quiet: warnings only).
// `migrate`: apply pending migrations and create missing keys first.
Result<std::unique_ptr<server::Node>> OpenNode(const CommonFlags& flags, bool migrate,
                                               StoreUse use = StoreUse::kMayCreate);

}  // namespace idscheme::cli

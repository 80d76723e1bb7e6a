#include "cli/common_flags.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "common/log.h"

namespace idscheme::cli {

int Fail(const Status& s) {
  std::cerr << "idscheme: " << s.message() << "\n";
  return 1;
}

Result<std::unique_ptr<server::Node>> OpenNode(const CommonFlags& flags, bool migrate,
                                               StoreUse use) {
  IDS_ASSIGN_OR_RETURN(auto cfg, flags.Load());
  if (use == StoreUse::kMustExist && cfg.store.url.empty() &&
      !std::filesystem::exists(cfg.StoreUrl())) {
    return Status::NotFound("no store in " + cfg.store.data_dir +
                            " (--data names a node's data directory; the demo's is demo-data)");
  }
  log::Level level = log::Level::kWarn;
  log::ParseLevel(cfg.log.level, &level);
  log::SetLevel(std::max(level, log::Level::kWarn));  // tools print results, not chatter
  return server::Node::Open(cfg, {.migrate = migrate, .init_keys = migrate});
}

}  // namespace idscheme::cli

#include "cli/common_flags.h"

#include <algorithm>
#include <iostream>

#include "common/log.h"

namespace idscheme::cli {

int Fail(const Status& s) {
  std::cerr << "idscheme: " << s.message() << "\n";
  return 1;
}

Result<std::unique_ptr<server::Node>> OpenNode(const CommonFlags& flags, bool migrate) {
  IDS_ASSIGN_OR_RETURN(auto cfg, flags.Load());
  log::Level level = log::Level::kWarn;
  log::ParseLevel(cfg.log.level, &level);
  log::SetLevel(std::max(level, log::Level::kWarn));  // tools print results, not chatter
  return server::Node::Open(cfg, {.migrate = migrate, .init_keys = migrate});
}

}  // namespace idscheme::cli

#include "testing/test_node.h"

namespace idscheme::testing {

Result<std::unique_ptr<server::Instance>> StartTestNode(
    Backend backend, const std::map<std::string, std::string>& overrides,
    const server::NodeOptions& options) {
  config::LoadOptions o;
  o.overrides = {{"server.listen", "127.0.0.1:0"},
                 {"keys.rsa_bits", "2048"},
                 {"server.threads", "2"},
                 {"log.level", "warn"}};
  if (backend == Backend::kSqlite) {
    o.overrides["store.data_dir"] = TempDir();
  } else {
    o.overrides["store.url"] = FreshDatabaseUrl(Backend::kPostgres);
    o.overrides["keys.kek"] = std::string(43, 'Q');
  }
  for (const auto& [key, value] : overrides) o.overrides[key] = value;
  IDS_ASSIGN_OR_RETURN(config::Config config, config::Load(o));
  return server::Instance::Start(config, options);
}

}  // namespace idscheme::testing

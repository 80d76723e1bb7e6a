// Test support: a real node (store, migrations, keys, HTTP server on 127.0.0.1 port 0) on either
// backend, configured as the integration tests need it (RSA 2048 keys, two worker threads,
// quiet logs). Each call starts a fresh store: a temp SQLite folder or a new PostgreSQL schema.
//
//   auto node = testing::StartTestNode(Backend::kSqlite, {{"oidc.code_lifetime_seconds", "30"}},
//                                      {.clock = &fake_clock});
//   ASSERT_TRUE(node.ok()) << node.status().ToString();
//   testing::Get((*node)->port(), "/healthz");
//
// Check the backend with IDS_REQUIRE_BACKEND first (test_db.h). Starting a node generates its
// keys (about two seconds under the sanitizers): suites with many cases share one.
//
// Thread-safety: test-only; call from the test's thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "server/node.h"
#include "testing/test_db.h"

namespace idscheme::testing {

// `overrides` are configuration keys (config.h) applied over the test defaults.
Result<std::unique_ptr<server::Instance>> StartTestNode(
    Backend backend, const std::map<std::string, std::string>& overrides = {},
    const server::NodeOptions& options = {});

}  // namespace idscheme::testing

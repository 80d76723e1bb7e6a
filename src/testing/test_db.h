// Test support: fresh databases on both backends, so every part's storage tests run against
// SQLite and PostgreSQL alike (one suite, two backends).
//
//   class FooTest : public ::testing::TestWithParam<testing::Backend> {};
//   INSTANTIATE_TEST_SUITE_P(Backends, FooTest, testing::AllBackends(), testing::BackendName);
//   auto db = testing::FreshDatabase(GetParam());   // migrated? no: call store::Migrate yourself
//
// PostgreSQL comes from IDSCHEME_TEST_PG_URL (scripts/test.sh starts a throwaway cluster).
// Without it the PostgreSQL cases fail, unless IDSCHEME_ALLOW_NO_PG=1 says to skip them.
// Each fresh PostgreSQL database is a new schema, reached through search_path.
//
// Thread-safety: test-only helpers; call from the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/database.h"

namespace idscheme::testing {

enum class Backend { kSqlite, kPostgres };

inline std::vector<Backend> AllBackendsList() { return {Backend::kSqlite, Backend::kPostgres}; }
inline auto AllBackends() { return ::testing::ValuesIn(AllBackendsList()); }
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// A URL for a new, empty database on `backend` (a temp SQLite file, or a new PostgreSQL
// schema). Calls GTEST_SKIP-style failure helpers: check HasFatalFailure() / IsSkipped().
std::string FreshDatabaseUrl(Backend backend);

// Opens FreshDatabaseUrl(backend); fails the test on error.
std::unique_ptr<store::Database> FreshDatabase(Backend backend, int pool_size = 8);

// A new empty temporary directory, removed at process exit.
std::string TempDir();

}  // namespace idscheme::testing

// Skips or fails (per IDSCHEME_ALLOW_NO_PG) a PostgreSQL case when no server is configured.
#define IDS_REQUIRE_BACKEND(backend)                                                      \
  do {                                                                                    \
    if ((backend) == ::idscheme::testing::Backend::kPostgres &&                           \
        !::idscheme::testing::PostgresConfigured()) {                                     \
      if (::idscheme::testing::AllowNoPostgres()) GTEST_SKIP() << "no PostgreSQL";        \
      FAIL() << "IDSCHEME_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL); " \
                "set IDSCHEME_ALLOW_NO_PG=1 to skip";                                     \
    }                                                                                     \
  } while (0)

namespace idscheme::testing {
bool PostgresConfigured();
bool AllowNoPostgres();
}  // namespace idscheme::testing

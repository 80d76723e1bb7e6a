#include "testing/test_db.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace idscheme::testing {
namespace {

std::vector<std::string>& TempDirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

void RemoveTempDirs() {
  for (const auto& d : TempDirs()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  return std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

}  // namespace

bool PostgresConfigured() {
  const char* url = std::getenv("IDSCHEME_TEST_PG_URL");
  return url && *url;
}

bool AllowNoPostgres() {
  const char* allow = std::getenv("IDSCHEME_ALLOW_NO_PG");
  return allow && std::string(allow) == "1";
}

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::string TempDir() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(RemoveTempDirs); });
  std::string tmpl = (std::filesystem::temp_directory_path() / "idscheme-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (!made) return "";
  TempDirs().push_back(made);
  return made;
}

std::string FreshDatabaseUrl(Backend backend) {
  if (backend == Backend::kSqlite) return TempDir() + "/test.db";
  std::string base = std::getenv("IDSCHEME_TEST_PG_URL");
  std::string schema = "t_" + UniqueSuffix();
  auto admin = store::Database::Open(base, 1);
  if (!admin.ok()) {
    ADD_FAILURE() << "cannot reach PostgreSQL: " << admin.status().ToString();
    return base;
  }
  auto made = (*admin)->Exec("CREATE SCHEMA " + schema);
  if (!made.ok()) ADD_FAILURE() << made.status().ToString();
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

std::unique_ptr<store::Database> FreshDatabase(Backend backend, int pool_size) {
  auto db = store::Database::Open(FreshDatabaseUrl(backend), pool_size);
  if (!db.ok()) {
    ADD_FAILURE() << "cannot open a fresh database: " << db.status().ToString();
    return nullptr;
  }
  return std::move(db).value();
}

}  // namespace idscheme::testing

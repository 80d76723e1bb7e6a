#include "store/internal/sql_text.h"

#include <gtest/gtest.h>

namespace idscheme::store::internal {
namespace {

std::string Number(std::string_view sql, int expect_count) {
  int count = -1;
  std::string out = NumberPlaceholders(sql, &count);
  EXPECT_EQ(count, expect_count) << sql;
  return out;
}

TEST(NumberPlaceholders, RenumbersInOrder) {
  EXPECT_EQ(Number("SELECT a FROM t WHERE b = ? AND c = ?", 2),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(Number("INSERT INTO t VALUES (?,?,?)", 3), "INSERT INTO t VALUES ($1,$2,$3)");
  EXPECT_EQ(Number("", 0), "");
  EXPECT_EQ(Number("?", 1), "$1");
}

TEST(NumberPlaceholders, LeavesQuotedTextAlone) {
  EXPECT_EQ(Number("SELECT '?', ?", 1), "SELECT '?', $1");
  EXPECT_EQ(Number("SELECT 'it''s ?', ?", 1), "SELECT 'it''s ?', $1");
  EXPECT_EQ(Number("SELECT \"a?\" FROM t WHERE x = ?", 1), "SELECT \"a?\" FROM t WHERE x = $1");
  EXPECT_EQ(Number("SELECT \"a\"\"?\", ?", 1), "SELECT \"a\"\"?\", $1");
  EXPECT_EQ(Number("SELECT E'\\'?', ?", 1), "SELECT E'\\'?', $1");
  EXPECT_EQ(Number("SELECT e'\\\\', ?", 1), "SELECT e'\\\\', $1");
  // Without the E prefix a backslash is an ordinary character.
  EXPECT_EQ(Number("SELECT '\\', ?", 1), "SELECT '\\', $1");
  EXPECT_EQ(Number("SELECT ? -- what?\n, ?", 2), "SELECT $1 -- what?\n, $2");
  EXPECT_EQ(Number("SELECT /* ? /* nested ? */ ? */ ?", 1), "SELECT /* ? /* nested ? */ ? */ $1");
  EXPECT_EQ(Number("SELECT $$ ? $$, ?", 1), "SELECT $$ ? $$, $1");
  EXPECT_EQ(Number("SELECT $fn$ ? $x$ ? $fn$, ?", 1), "SELECT $fn$ ? $x$ ? $fn$, $1");
}

TEST(NumberPlaceholders, NumberedParametersAreNotDollarQuotes) {
  EXPECT_EQ(Number("SELECT $1, ?", 1), "SELECT $1, $1");
  EXPECT_EQ(Number("SELECT a$b$ FROM t WHERE x = ?", 1), "SELECT a$b$ FROM t WHERE x = $1");
}

TEST(NumberPlaceholders, UnterminatedQuotesRunToTheEnd) {
  EXPECT_EQ(Number("SELECT ?, 'abc ?", 1), "SELECT $1, 'abc ?");
  EXPECT_EQ(Number("SELECT ?, \"abc ?", 1), "SELECT $1, \"abc ?");
  EXPECT_EQ(Number("SELECT ? /* ?", 1), "SELECT $1 /* ?");
  EXPECT_EQ(Number("SELECT ? $q$ ?", 1), "SELECT $1 $q$ ?");
  EXPECT_EQ(Number("SELECT E'\\", 0), "SELECT E'\\");
  EXPECT_EQ(Number("-", 0), "-");
  EXPECT_EQ(Number("$", 0), "$");
}

TEST(ReplaceWord, WholeWordsInCodeOnly) {
  EXPECT_EQ(ReplaceWord("CREATE TABLE t (a BLOB, b blob NOT NULL)", "BLOB", "BYTEA"),
            "CREATE TABLE t (a BYTEA, b BYTEA NOT NULL)");
  EXPECT_EQ(ReplaceWord("CREATE TABLE blobs (blob_id BIGINT, x_blob BLOB)", "BLOB", "BYTEA"),
            "CREATE TABLE blobs (blob_id BIGINT, x_blob BYTEA)");
  EXPECT_EQ(ReplaceWord("SELECT 'BLOB', \"blob\" -- blob\n", "BLOB", "BYTEA"),
            "SELECT 'BLOB', \"blob\" -- blob\n");
  EXPECT_EQ(ReplaceWord("SELECT $$ blob $$, 1blob, a$blob", "BLOB", "BYTEA"),
            "SELECT $$ blob $$, 1blob, a$blob");
}

}  // namespace
}  // namespace idscheme::store::internal

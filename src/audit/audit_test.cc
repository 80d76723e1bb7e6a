#include <gtest/gtest.h>

#include <thread>

#include "audit/audit_log.h"
#include "store/migrations.h"
#include "testing/test_db.h"

namespace idscheme::audit {
namespace {

using testing::Backend;

class AuditTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    IDS_REQUIRE_BACKEND(GetParam());
    url_ = testing::FreshDatabaseUrl(GetParam());
    auto db = store::Database::Open(url_, 8);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto all = store::Migrations();
    for (auto& m : Migrations()) all.push_back(m);
    ASSERT_TRUE(store::Migrate(*db_, all).ok());
  }

  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      auto seq = AppendNow(
          *db_,
          {"operator", "member.suspend", "m" + std::to_string(i), {{"reason", "test"}, {"n", i}}},
          1'700'000'000'000 + i);
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    }
  }

  // Lifts the append-only guard, as someone with raw write access to the database could.
  void DropGuards() {
    if (GetParam() == Backend::kSqlite) {
      ASSERT_TRUE(db_->Exec("DROP TRIGGER audit_log_no_update").ok());
      ASSERT_TRUE(db_->Exec("DROP TRIGGER audit_log_no_delete").ok());
    } else {
      ASSERT_TRUE(db_->Exec("DROP TRIGGER audit_log_no_change ON audit_log").ok());
    }
  }

  std::string url_;
  std::unique_ptr<store::Database> db_;
};

TEST_P(AuditTest, ChainVerifies) {
  AppendN(25);
  auto report = Verify(*db_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->entries, 25);
  auto entries = List(*db_, 0, 100);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 25u);
  EXPECT_EQ((*entries)[0].prev_hash, std::string(64, '0'));
  EXPECT_EQ((*entries)[1].prev_hash, (*entries)[0].hash);
  EXPECT_EQ((*entries)[3].hash,
            EntryHash((*entries)[3].prev_hash, 4, (*entries)[3].time_ms, (*entries)[3].event));
}

TEST_P(AuditTest, EmptyLogVerifies) {
  auto report = Verify(*db_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->entries, 0);
}

TEST_P(AuditTest, EntryIsWrittenWithItsTransactionOrNotAtAll) {
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(Append(**tx, {"system", "x", "y"}, 1).ok());
    // destroyed without Commit: rolled back
  }
  auto report = Verify(*db_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->entries, 0);
}

TEST_P(AuditTest, TablesRefuseUpdateAndDelete) {
  AppendN(2);
  EXPECT_FALSE(db_->Exec("UPDATE audit_log SET actor = 'x' WHERE seq = 1").ok());
  EXPECT_FALSE(db_->Exec("DELETE FROM audit_log WHERE seq = 2").ok());
  EXPECT_TRUE(Verify(*db_)->ok);
}

TEST_P(AuditTest, VerifyNamesTheEditedEntry) {
  AppendN(10);
  DropGuards();
  // Edit one row directly in the database, leaving its stored hash alone.
  auto other = store::Database::Open(url_, 1);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)
                  ->Exec("UPDATE audit_log SET details = '{\"reason\":\"edited\"}' "
                         "WHERE seq = 7")
                  .ok());
  auto report = Verify(*db_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  ASSERT_TRUE(report->first_bad.has_value());
  EXPECT_EQ(*report->first_bad, 7);
  EXPECT_NE(report->reason.find("altered"), std::string::npos);
}

TEST_P(AuditTest, VerifyCatchesARecomputedHashAndRemovedEntries) {
  AppendN(6);
  DropGuards();
  // Rewriting an entry together with its own hash breaks the next entry's link.
  auto e = List(*db_, 2, 1);
  ASSERT_TRUE(e.ok());
  Event forged = (*e)[0].event;
  forged.subject = "someone else";
  std::string forged_hash = EntryHash((*e)[0].prev_hash, 3, (*e)[0].time_ms, forged);
  ASSERT_TRUE(db_->Exec("UPDATE audit_log SET subject = ?, hash = ? WHERE seq = 3",
                        {store::Text(forged.subject), store::Text(forged_hash)})
                  .ok());
  auto report = Verify(*db_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(*report->first_bad, 4);

  // A fresh log whose tail is cut off: the head no longer matches.
  SetUp();
  AppendN(5);
  DropGuards();
  ASSERT_TRUE(db_->Exec("DELETE FROM audit_log WHERE seq = 5").ok());
  report = Verify(*db_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  EXPECT_NE(report->reason.find("removed"), std::string::npos);
  // A gap in the middle.
  ASSERT_TRUE(db_->Exec("DELETE FROM audit_log WHERE seq = 2").ok());
  report = Verify(*db_);
  EXPECT_EQ(*report->first_bad, 2);
}

TEST_P(AuditTest, ConcurrentWritersKeepOneChain) {
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto seq = AppendNow(*db_, {"device:" + std::to_string(t), "approval.approve", "a"}, i);
        if (!seq.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto report = Verify(*db_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->entries, kThreads * kEach);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, testing::AllBackends(), testing::BackendName);

}  // namespace
}  // namespace idscheme::audit

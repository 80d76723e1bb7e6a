#include "server/instrumented_database.h"

#include <chrono>
#include <string_view>

#include "http/router.h"

namespace idscheme::server {
namespace {

struct Instruments {
  http::Family<http::Counter>* statements;  // by the route whose handler runs them
  http::Histogram* exec;
  http::Histogram* commit;
  http::Family<http::Counter>* errors;
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Counted per route, so the statements one request costs can be read off /metrics
// (store_statements_total{route} / http_requests_total{route}).
void CountStatement(const Instruments& in) {
  const std::string_view route = http::CurrentRouteName();
  in.statements->WithLabels({route.empty() ? std::string_view("other") : route}).Inc();
}

template <typename T>
T Record(const Instruments& in, http::Histogram* h, std::chrono::steady_clock::time_point start,
         T result) {
  h->Observe(Since(start));
  if (!result.ok()) in.errors->WithLabels({CodeName(result.status().code())}).Inc();
  return result;
}

class InstrumentedTransaction final : public store::Transaction {
 public:
  InstrumentedTransaction(std::unique_ptr<store::Transaction> tx, const Instruments& in)
      : tx_(std::move(tx)), in_(in) {}
  Result<store::QueryResult> Exec(std::string_view sql,
                                  const std::vector<store::Value>& params) override {
    CountStatement(in_);
    auto start = std::chrono::steady_clock::now();
    return Record(in_, in_.exec, start, tx_->Exec(sql, params));
  }
  Status ExecScript(std::string_view sql) override { return tx_->ExecScript(sql); }
  store::Dialect dialect() const override { return tx_->dialect(); }
  Status Commit() override {
    auto start = std::chrono::steady_clock::now();
    Status s = tx_->Commit();
    in_.commit->Observe(Since(start));
    if (!s.ok()) in_.errors->WithLabels({CodeName(s.code())}).Inc();
    return s;
  }
  void Rollback() override { tx_->Rollback(); }

 private:
  std::unique_ptr<store::Transaction> tx_;
  Instruments in_;
};

class InstrumentedDatabase final : public store::Database {
 public:
  InstrumentedDatabase(std::unique_ptr<store::Database> db, http::Metrics& metrics)
      : db_(std::move(db)) {
    auto& latency = metrics.AddHistogram("store_query_duration_seconds",
                                         "Latency of store statements and commits",
                                         http::Metrics::LatencyBuckets(), {"op"});
    in_.exec = &latency.WithLabels({"exec"});
    in_.commit = &latency.WithLabels({"commit"});
    in_.errors = &metrics.AddCounter("store_errors_total", "Failed store operations", {"code"});
    in_.statements = &metrics.AddCounter(
        "store_statements_total",
        "Store statements run, by the HTTP route whose handler ran them (other: background work "
        "and asynchronous handlers)",
        {"route"});
  }
  Result<store::QueryResult> Exec(std::string_view sql,
                                  const std::vector<store::Value>& params) override {
    CountStatement(in_);
    auto start = std::chrono::steady_clock::now();
    return Record(in_, in_.exec, start, db_->Exec(sql, params));
  }
  Status ExecScript(std::string_view sql) override { return db_->ExecScript(sql); }
  store::Dialect dialect() const override { return db_->dialect(); }
  Result<std::unique_ptr<store::Transaction>> Begin() override {
    auto tx = db_->Begin();
    if (!tx.ok()) {
      in_.errors->WithLabels({CodeName(tx.status().code())}).Inc();
      return tx.status();
    }
    return std::unique_ptr<store::Transaction>(
        std::make_unique<InstrumentedTransaction>(std::move(tx).value(), in_));
  }
  Status Ping() override { return db_->Ping(); }
  std::string Describe() const override { return db_->Describe(); }
  store::ChangeEpoch* change_epoch() override { return db_->change_epoch(); }

 private:
  std::unique_ptr<store::Database> db_;
  Instruments in_;
};

}  // namespace

std::unique_ptr<store::Database> Instrument(std::unique_ptr<store::Database> db,
                                            http::Metrics& metrics) {
  return std::make_unique<InstrumentedDatabase>(std::move(db), metrics);
}

}  // namespace idscheme::server

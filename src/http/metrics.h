// Metrics: a small Prometheus registry (counters, gauges, histograms with fixed buckets, labels)
// rendered in the Prometheus text exposition format 0.0.4.
//
// Register a family once at start-up (Metrics::AddCounter, ...), resolve the label sets you will
// use once (Family::WithLabels) and keep the returned reference: recording (Inc, Set, Observe) is
// then a relaxed atomic operation with no lock. WithLabels takes the family's lock; references it
// returns stay valid as long as the Metrics object lives. Registering a name twice returns the
// first family when type, labels and buckets match, and throws std::logic_error otherwise (a
// start-up misconfiguration, like an invalid name).
//
// Thread-safety: every method is safe to call from several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace idscheme::http {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Sub(double v) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing (the +Inf bucket is implicit).
  explicit Histogram(std::span<const double> bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Snap() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its label names; one child per distinct set of label values.
template <typename M>
class Family {
 public:
  // The child for these label values (as many as label names, in their order).
  M& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  M& WithLabels(std::span<const std::string_view> values);
  // The child with no labels (for families registered without label names).
  M& Get() { return WithLabels({}); }

  const std::string& name() const { return name_; }

 private:
  friend class Metrics;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}
  std::unique_ptr<M> Make() const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;  // histograms only
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help, std::vector<double> buckets,
                                  std::vector<std::string> label_names = {});

  // Buckets for request/query latencies in seconds: 1 ms .. 10 s.
  static std::vector<double> LatencyBuckets();

  // Every family in registration order, in the text format 0.0.4.
  std::string Render() const;

 private:
  struct Entry {
    MetricType type;
    void* family;  // Family<Counter|Gauge|Histogram>*, owned by the deques below
  };
  template <typename M>
  Family<M>& Add(MetricType type, std::deque<std::unique_ptr<Family<M>>>& store, std::string name,
                 std::string help, std::vector<std::string> label_names,
                 std::vector<double> buckets);

  mutable std::mutex mu_;
  std::vector<Entry> order_;
  std::deque<std::unique_ptr<Family<Counter>>> counters_;
  std::deque<std::unique_ptr<Family<Gauge>>> gauges_;
  std::deque<std::unique_ptr<Family<Histogram>>> histograms_;
};

// Content type of Render()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace idscheme::http

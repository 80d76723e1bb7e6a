#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace idscheme::http {
namespace {

TEST(Metrics, RendersTextFormat004) {
  Metrics m;
  auto& requests =
      m.AddCounter("app_requests_total", "Requests.\nSecond line \\", {"route", "code"});
  requests.WithLabels({"token", "200"}).Inc();
  requests.WithLabels({"token", "200"}).Inc(2);
  requests.WithLabels({"a\"b\\c\nd", "500"}).Inc();
  m.AddGauge("app_open", "Open things.").Get().Set(2.5);
  auto& h = m.AddHistogram("app_seconds", "Latency.", {0.1, 1}, {"route"});
  h.WithLabels({"token"}).Observe(0.1);  // le is inclusive
  h.WithLabels({"token"}).Observe(0.5);
  h.WithLabels({"token"}).Observe(7);

  EXPECT_EQ(m.Render(),
            "# HELP app_requests_total Requests.\\nSecond line \\\\\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{route=\"a\\\"b\\\\c\\nd\",code=\"500\"} 1\n"
            "app_requests_total{route=\"token\",code=\"200\"} 3\n"
            "# HELP app_open Open things.\n"
            "# TYPE app_open gauge\n"
            "app_open 2.5\n"
            "# HELP app_seconds Latency.\n"
            "# TYPE app_seconds histogram\n"
            "app_seconds_bucket{route=\"token\",le=\"0.1\"} 1\n"
            "app_seconds_bucket{route=\"token\",le=\"1\"} 2\n"
            "app_seconds_bucket{route=\"token\",le=\"+Inf\"} 3\n"
            "app_seconds_sum{route=\"token\"} 7.6\n"
            "app_seconds_count{route=\"token\"} 3\n");
}

TEST(Metrics, RegistrationIsIdempotentOrRefused) {
  Metrics m;
  auto& a = m.AddCounter("x_total", "X.", {"l"});
  EXPECT_EQ(&a, &m.AddCounter("x_total", "X again.", {"l"}));
  EXPECT_THROW(m.AddCounter("x_total", "X.", {"other"}), std::logic_error);
  EXPECT_THROW(m.AddGauge("x_total", "X."), std::logic_error);
  EXPECT_THROW(m.AddCounter("bad-name", "."), std::logic_error);
  EXPECT_THROW(m.AddCounter("1x", "."), std::logic_error);
  EXPECT_THROW(m.AddCounter("y", ".", {"__reserved"}), std::logic_error);
  EXPECT_THROW(m.AddHistogram("h", ".", {0.1}, {"le"}), std::logic_error);
  EXPECT_THROW(m.AddHistogram("h", ".", {1, 0.5}), std::logic_error);
  EXPECT_THROW(m.AddHistogram("h", ".", {}), std::logic_error);
  EXPECT_THROW(a.WithLabels({"1", "2"}), std::logic_error);
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  Metrics m;
  Counter& c = m.AddCounter("c_total", "C.").Get();
  Gauge& g = m.AddGauge("g", "G.").Get();
  Histogram& h = m.AddHistogram("h", "H.", {1}).Get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Inc();
        g.Add(1);
        h.Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000u);
  EXPECT_EQ(g.Value(), 40000.0);
  auto snap = h.Snap();
  EXPECT_EQ(snap.count, 40000u);
  EXPECT_EQ(snap.sum, 20000.0);
}

}  // namespace
}  // namespace idscheme::http

#include "http/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace idscheme::http {
namespace {

bool ValidMetricName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view n) {
  if (n.empty() || n.substr(0, 2) == "__") return false;  // reserved for Prometheus' own use
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Text format 0.0.4: label values escape backslash, double quote and line feed.
void AppendLabelValue(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
}

// HELP text escapes backslash and line feed.
void AppendHelp(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    // The shortest text that reads back as the same double (0.1, not 0.10000000000000001).
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

// `{a="x",b="y"` plus an optional extra label (a histogram's `le`), then `}`; nothing if empty.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(',');
    out += names[i];
    out += "=\"";
    AppendLabelValue(out, values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // Upper bounds are inclusive (`le`); few buckets, so a linear scan beats a binary search.
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;  // derived from the buckets so that _count always equals the +Inf bucket
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

template <>
std::unique_ptr<Counter> Family<Counter>::Make() const {
  return std::make_unique<Counter>();
}
template <>
std::unique_ptr<Gauge> Family<Gauge>::Make() const {
  return std::make_unique<Gauge>();
}
template <>
std::unique_ptr<Histogram> Family<Histogram>::Make() const {
  return std::make_unique<Histogram>(buckets_);
}

template <typename M>
M& Family<M>::WithLabels(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::logic_error("metric " + name_ + ": wrong number of label values");
  }
  std::vector<std::string> key(values.begin(), values.end());
  std::lock_guard lock(mu_);
  auto& child = children_[std::move(key)];
  if (!child) child = Make();
  return *child;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename M>
Family<M>& Metrics::Add(MetricType type, std::deque<std::unique_ptr<Family<M>>>& store,
                        std::string name, std::string help, std::vector<std::string> label_names,
                        std::vector<double> buckets) {
  if (!ValidMetricName(name)) throw std::logic_error("invalid metric name: " + name);
  for (const auto& l : label_names) {
    if (!ValidLabelName(l) || (type == MetricType::kHistogram && l == "le")) {
      throw std::logic_error("metric " + name + ": invalid label name " + l);
    }
  }
  if (type == MetricType::kHistogram) {
    if (buckets.empty() || !std::is_sorted(buckets.begin(), buckets.end()) ||
        std::adjacent_find(buckets.begin(), buckets.end()) != buckets.end() ||
        std::any_of(buckets.begin(), buckets.end(), [](double b) { return !std::isfinite(b); })) {
      throw std::logic_error("metric " + name + ": buckets must be finite and increasing");
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& e : order_) {
    const std::string* existing_name = nullptr;
    switch (e.type) {
      case MetricType::kCounter:
        existing_name = &static_cast<Family<Counter>*>(e.family)->name();
        break;
      case MetricType::kGauge:
        existing_name = &static_cast<Family<Gauge>*>(e.family)->name();
        break;
      case MetricType::kHistogram:
        existing_name = &static_cast<Family<Histogram>*>(e.family)->name();
        break;
    }
    if (*existing_name != name) continue;
    if (e.type != type) throw std::logic_error("metric " + name + " registered with another type");
    auto* family = static_cast<Family<M>*>(e.family);
    if (family->label_names_ != label_names || family->buckets_ != buckets) {
      throw std::logic_error("metric " + name + " registered with other labels or buckets");
    }
    return *family;
  }
  store.push_back(std::unique_ptr<Family<M>>(
      new Family<M>(std::move(name), std::move(help), std::move(label_names), std::move(buckets))));
  order_.push_back({type, store.back().get()});
  return *store.back();
}

Family<Counter>& Metrics::AddCounter(std::string name, std::string help,
                                     std::vector<std::string> label_names) {
  return Add(MetricType::kCounter, counters_, std::move(name), std::move(help),
             std::move(label_names), {});
}

Family<Gauge>& Metrics::AddGauge(std::string name, std::string help,
                                 std::vector<std::string> label_names) {
  return Add(MetricType::kGauge, gauges_, std::move(name), std::move(help), std::move(label_names),
             {});
}

Family<Histogram>& Metrics::AddHistogram(std::string name, std::string help,
                                         std::vector<double> buckets,
                                         std::vector<std::string> label_names) {
  return Add(MetricType::kHistogram, histograms_, std::move(name), std::move(help),
             std::move(label_names), std::move(buckets));
}

std::vector<double> Metrics::LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

namespace {

template <typename M>
void Header(std::string& out, const std::string& name, const std::string& help, MetricType t) {
  out += "# HELP ";
  out += name;
  out.push_back(' ');
  AppendHelp(out, help);
  out += "\n# TYPE ";
  out += name;
  out.push_back(' ');
  out += TypeName(t);
  out.push_back('\n');
}

}  // namespace

std::string Metrics::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& e : order_) {
    switch (e.type) {
      case MetricType::kCounter: {
        const auto& f = *static_cast<Family<Counter>*>(e.family);
        Header<Counter>(out, f.name_, f.help_, e.type);
        std::lock_guard flock(f.mu_);
        for (const auto& [values, c] : f.children_) {
          out += f.name_;
          AppendLabels(out, f.label_names_, values);
          out.push_back(' ');
          out += std::to_string(c->Value());
          out.push_back('\n');
        }
        break;
      }
      case MetricType::kGauge: {
        const auto& f = *static_cast<Family<Gauge>*>(e.family);
        Header<Gauge>(out, f.name_, f.help_, e.type);
        std::lock_guard flock(f.mu_);
        for (const auto& [values, g] : f.children_) {
          out += f.name_;
          AppendLabels(out, f.label_names_, values);
          out.push_back(' ');
          AppendDouble(out, g->Value());
          out.push_back('\n');
        }
        break;
      }
      case MetricType::kHistogram: {
        const auto& f = *static_cast<Family<Histogram>*>(e.family);
        Header<Histogram>(out, f.name_, f.help_, e.type);
        std::lock_guard flock(f.mu_);
        for (const auto& [values, h] : f.children_) {
          const Histogram::Snapshot s = h->Snap();
          for (size_t i = 0; i <= s.bounds.size(); ++i) {
            std::string le;
            if (i < s.bounds.size()) {
              AppendDouble(le, s.bounds[i]);
            } else {
              le = "+Inf";
            }
            out += f.name_;
            out += "_bucket";
            AppendLabels(out, f.label_names_, values, "le", le);
            out.push_back(' ');
            out += std::to_string(s.cumulative[i]);
            out.push_back('\n');
          }
          out += f.name_;
          out += "_sum";
          AppendLabels(out, f.label_names_, values);
          out.push_back(' ');
          AppendDouble(out, s.sum);
          out.push_back('\n');
          out += f.name_;
          out += "_count";
          AppendLabels(out, f.label_names_, values);
          out.push_back(' ');
          out += std::to_string(s.count);
          out.push_back('\n');
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace idscheme::http

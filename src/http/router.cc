#include "http/router.h"

#include <algorithm>
#include <stdexcept>

namespace idscheme::http {
namespace {

std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool IsParam(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

Router& Router::Add(std::string_view method, std::string_view pattern, std::string name,
                    Handler handler, RouteOptions options) {
  auto route = std::make_unique<Route>();
  route->method.assign(method);
  route->pattern.assign(pattern);
  route->name = std::move(name);
  route->handler = std::move(handler);
  route->options = options;
  return AddRoute(std::move(route));
}

Router& Router::Add(std::string_view method, std::string_view pattern, std::string name,
                    AsyncHandler handler, RouteOptions options) {
  auto route = std::make_unique<Route>();
  route->method.assign(method);
  route->pattern.assign(pattern);
  route->name = std::move(name);
  route->async_handler = std::move(handler);
  route->options = options;
  return AddRoute(std::move(route));
}

Router& Router::AddRoute(std::unique_ptr<Route> route) {
  const std::string& pattern = route->pattern;
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must start with '/': " + pattern);
  }
  if (route->method.empty() || route->method == "HEAD") {
    throw std::logic_error("route method must be set (HEAD comes with GET): " + pattern);
  }
  if (route->name.empty()) throw std::logic_error("route needs a name: " + pattern);
  if (!route->handler && !route->async_handler) {
    throw std::logic_error("route without a handler: " + pattern);
  }
  bool has_param = false;
  std::vector<std::string> segments;
  for (std::string_view seg : SplitSegments(pattern)) {
    if (IsParam(seg)) {
      has_param = true;
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      throw std::logic_error("malformed route pattern: " + pattern);
    }
    segments.emplace_back(seg);
  }

  PathEntry* entry = nullptr;
  if (!has_param) {
    entry = &exact_[pattern];
  } else {
    for (auto& p : patterns_) {
      if (p.segments == segments) entry = &p;
    }
    if (!entry) {
      patterns_.push_back({std::move(segments), {}});
      entry = &patterns_.back();
    }
  }
  for (const Route* r : entry->routes) {
    if (r->method == route->method) {
      throw std::logic_error("route added twice: " + route->method + " " + pattern);
    }
  }
  route->index = routes_.size();
  entry->routes.push_back(route.get());
  routes_.push_back(std::move(route));
  return *this;
}

Router::Match Router::MatchMethod(const PathEntry& entry, std::string_view method) const {
  Match m;
  const Route* get = nullptr;
  for (const Route* r : entry.routes) {
    if (r->method == method) {
      m.kind = Match::Kind::kFound;
      m.route = r;
      return m;
    }
    if (r->method == "GET") get = r;
  }
  // RFC 9110 §9.3.2: HEAD is GET without the content.
  if (method == "HEAD" && get && !get->options.get_has_effects) {
    m.kind = Match::Kind::kFound;
    m.route = get;
    return m;
  }
  m.kind = Match::Kind::kMethodNotAllowed;
  std::vector<std::string> methods;
  for (const Route* r : entry.routes) {
    methods.push_back(r->method);
    if (r->method == "GET" && !r->options.get_has_effects) methods.emplace_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  for (const auto& name : methods) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += name;
  }
  return m;
}

Router::Match Router::Find(std::string_view method, std::string_view path, Request* request) const {
  // Heterogeneous lookup needs C++20 transparent hashing; paths are short, a copy is cheap.
  thread_local std::string key;
  key.assign(path);
  if (auto it = exact_.find(key); it != exact_.end()) return MatchMethod(it->second, method);
  if (patterns_.empty() || path.empty() || path.front() != '/') return {};
  const std::vector<std::string_view> segs = SplitSegments(path);
  for (const auto& entry : patterns_) {
    if (entry.segments.size() != segs.size()) continue;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& want = entry.segments[i];
      ok = IsParam(want) ? !segs[i].empty() : want == segs[i];
    }
    if (!ok) continue;
    Match m = MatchMethod(entry, method);
    if (m.kind == Match::Kind::kFound && request) {
      for (size_t i = 0; i < segs.size(); ++i) {
        const std::string& want = entry.segments[i];
        if (IsParam(want))
          request->AddPathParam(want.substr(1, want.size() - 2), std::string(segs[i]));
      }
    }
    return m;
  }
  return {};
}

namespace {
thread_local const std::string* current_route = nullptr;
thread_local uint64_t current_request = 0;
thread_local uint64_t last_request = 0;
}  // namespace

std::string_view CurrentRouteName() {
  return current_route ? std::string_view(*current_route) : std::string_view();
}

uint64_t CurrentRequestId() { return current_request; }

CurrentRouteScope::CurrentRouteScope(const std::string& name)
    : previous_(current_route), previous_request_(current_request) {
  current_route = &name;
  current_request = ++last_request;
}

CurrentRouteScope::~CurrentRouteScope() {
  current_route = previous_;
  current_request = previous_request_;
}

}  // namespace idscheme::http

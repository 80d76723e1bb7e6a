#include "http/request.h"

#include <algorithm>
#include <random>

namespace idscheme::http {
namespace {

Status InvalidRequest(std::string description) {
  return Status::OAuth("invalid_request", std::move(description));
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsTokenChar(char c) {
  // RFC 9110 §5.6.2: tchar.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The deepest nesting of objects/arrays in `text`, stopping early past `limit`.
int JsonDepth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > limit) return max_depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::string NewRequestId() {
  // Unique, not secret: a per-thread SplitMix64 stream seeded once from the OS.
  thread_local uint64_t state = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = SplitMix64(state);
    for (int i = 0; i < 16; ++i) {
      id[static_cast<size_t>(half * 16 + i)] = kHex[v & 0xF];
      v >>= 4;
    }
  }
  return id;
}

Result<MediaType> ParseMediaType(std::string_view content_type) {
  // RFC 9110 §8.3.1: media-type = type "/" subtype parameters
  MediaType out;
  std::string_view rest = content_type;
  const size_t semi = rest.find(';');
  std::string_view type = TrimOws(rest.substr(0, semi));
  rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
  const size_t slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == type.size() ||
      !std::all_of(type.begin(), type.end(), [](char c) { return c == '/' || IsTokenChar(c); }) ||
      type.find('/', slash + 1) != std::string_view::npos) {
    return InvalidRequest("malformed Content-Type");
  }
  out.type.reserve(type.size());
  for (char c : type) out.type.push_back(Lower(c));
  while (!rest.empty()) {
    const size_t next = rest.find(';');
    std::string_view param = TrimOws(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos || eq == 0) return InvalidRequest("malformed Content-Type");
    std::string_view name = param.substr(0, eq);
    std::string_view value = param.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!std::all_of(name.begin(), name.end(), IsTokenChar) || value.empty() ||
        !std::all_of(value.begin(), value.end(), IsTokenChar)) {
      return InvalidRequest("malformed Content-Type");
    }
    if (EqualsIgnoreCase(name, "charset")) {
      if (!out.charset.empty()) return InvalidRequest("Content-Type repeats charset");
      for (char c : value) out.charset.push_back(Lower(c));
    }
  }
  return out;
}

void Request::Clear() {
  method_.clear();
  target_.clear();
  path_.clear();
  raw_query_.clear();
  header_count_ = 0;
  body_.clear();
  request_id_.clear();
  route_name_.assign("unmatched");
  path_params_.clear();
}

void Request::AddHeader(std::string_view name, std::string_view value) {
  if (header_count_ == headers_.size()) headers_.emplace_back();
  Header& h = headers_[header_count_++];
  h.name.assign(name);
  h.value.assign(value);
}

std::optional<std::string_view> Request::GetHeader(std::string_view name) const {
  for (size_t i = 0; i < header_count_; ++i) {
    if (EqualsIgnoreCase(headers_[i].name, name)) return std::string_view(headers_[i].value);
  }
  return std::nullopt;
}

std::string_view Request::CookieValue(std::string_view name) const {
  for (std::string_view header : GetHeaders("Cookie")) {
    while (!header.empty()) {
      size_t end = header.find(';');
      std::string_view pair = header.substr(0, end);
      header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return {};
}

std::vector<std::string_view> Request::GetHeaders(std::string_view name) const {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < header_count_; ++i) {
    if (EqualsIgnoreCase(headers_[i].name, name)) out.emplace_back(headers_[i].value);
  }
  return out;
}

size_t Request::HeaderCount(std::string_view name) const {
  size_t n = 0;
  for (size_t i = 0; i < header_count_; ++i) {
    if (EqualsIgnoreCase(headers_[i].name, name)) ++n;
  }
  return n;
}

std::optional<std::string_view> Request::PathParam(std::string_view name) const {
  for (const auto& [n, v] : path_params_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

Status Request::SetTarget(std::string_view target) {
  target_.assign(target);
  path_.clear();
  raw_query_.clear();
  // RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ]. Absolute-form and "*" are not
  // served here.
  if (target.empty() || target.front() != '/')
    return InvalidRequest("request target must be a path");
  if (target.find('#') != std::string_view::npos)
    return InvalidRequest("fragment in request target");
  const size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (q != std::string_view::npos) raw_query_.assign(target.substr(q + 1));
  // An encoded '/' would make "/a%2Fb" and "/a/b" differ only after decoding: refuse it.
  for (size_t i = 0; i + 2 < raw_path.size(); ++i) {
    if (raw_path[i] == '%' && raw_path[i + 1] == '2' && Lower(raw_path[i + 2]) == 'f') {
      return InvalidRequest("encoded '/' in path");
    }
  }
  auto decoded = PercentDecode(raw_path, /*plus_is_space=*/false);
  if (!decoded.ok()) return InvalidRequest("malformed path: " + decoded.status().message());
  path_ = std::move(decoded).value();
  for (char c : path_) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return InvalidRequest("control character in path");
  }
  // RFC 3986 §5.2.4: dot segments are resolved by clients; one that arrives is refused.
  size_t start = 1;
  while (start <= path_.size()) {
    size_t end = path_.find('/', start);
    if (end == std::string::npos) end = path_.size();
    std::string_view seg(path_.data() + start, end - start);
    if (seg == "." || seg == "..") return InvalidRequest("dot segment in path");
    start = end + 1;
  }
  return Status::Ok();
}

Result<FormParams> Request::QueryParams() const { return ParseForm(raw_query_); }

Result<FormParams> Request::FormBody() const {
  const auto ct = GetHeader("content-type");
  if (!ct) return InvalidRequest("missing Content-Type");
  // RFC 6749 §3.2 / §4.1.3: token requests use application/x-www-form-urlencoded.
  IDS_ASSIGN_OR_RETURN(MediaType mt, ParseMediaType(*ct));
  if (mt.type != "application/x-www-form-urlencoded") {
    return InvalidRequest("Content-Type must be application/x-www-form-urlencoded");
  }
  if (!mt.charset.empty() && mt.charset != "utf-8") return InvalidRequest("charset must be UTF-8");
  return ParseForm(body_);
}

Result<nlohmann::json> Request::JsonBody() const {
  const auto ct = GetHeader("content-type");
  if (!ct) return InvalidRequest("missing Content-Type");
  IDS_ASSIGN_OR_RETURN(MediaType mt, ParseMediaType(*ct));
  if (mt.type != "application/json") return InvalidRequest("Content-Type must be application/json");
  // RFC 8259 §8.1: JSON exchanged between systems is UTF-8.
  if (!mt.charset.empty() && mt.charset != "utf-8") return InvalidRequest("charset must be UTF-8");
  if (!IsValidUtf8(body_)) return InvalidRequest("body is not valid UTF-8");
  if (JsonDepth(body_, kMaxJsonDepth) > kMaxJsonDepth)
    return InvalidRequest("JSON nested too deep");

  // RFC 8259 §4: names within an object SHOULD be unique; ambiguous input is refused.
  std::vector<std::vector<std::string>> keys;  // one list per open object
  bool duplicate = false;
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                      nlohmann::json& parsed) -> bool {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      keys.emplace_back();
    } else if (event == Event::key && !keys.empty()) {
      keys.back().push_back(parsed.get<std::string>());
    } else if (event == Event::object_end && !keys.empty()) {
      auto& k = keys.back();
      std::sort(k.begin(), k.end());
      if (std::adjacent_find(k.begin(), k.end()) != k.end()) duplicate = true;
      keys.pop_back();
    }
    return true;
  };
  nlohmann::json value = nlohmann::json::parse(body_, callback, /*allow_exceptions=*/false);
  if (value.is_discarded()) return InvalidRequest("body is not valid JSON");
  if (duplicate) return InvalidRequest("JSON object with a duplicate key");
  return value;
}

}  // namespace idscheme::http

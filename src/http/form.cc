#include "http/form.h"

#include <algorithm>

namespace idscheme::http {
namespace {

Status InvalidRequest(std::string description) {
  return Status::OAuth("invalid_request", std::move(description));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> FormParams::Get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> FormParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : entries_) {
    if (n == name) out.emplace_back(v);
  }
  return out;
}

size_t FormParams::Count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [&](const Entry& e) { return e.first == name; }));
}

Result<std::optional<std::string_view>> FormParams::Unique(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& [n, v] : entries_) {
    if (n != name) continue;
    // RFC 6749 §3.1: parameters MUST NOT be included more than once.
    if (found) return InvalidRequest("parameter '" + std::string(name) + "' sent more than once");
    found = v;
  }
  return found;
}

Status FormParams::CheckNoDuplicates() const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    for (size_t j = i + 1; j < entries_.size(); ++j) {
      // RFC 6749 §3.1: parameters MUST NOT be included more than once.
      if (entries_[i].first == entries_[j].first) {
        return InvalidRequest("parameter '" + entries_[i].first + "' sent more than once");
      }
    }
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte first, overlong 2-byte lead, or above U+10FFFF
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    i += len;
  }
  return true;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '%') {
      // RFC 3986 §2.1: a percent-encoded octet is "%" HEXDIG HEXDIG.
      if (text.size() - i < 3) return InvalidRequest("truncated percent-encoding");
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return InvalidRequest("bad percent-encoding");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return InvalidRequest("NUL byte in parameter");
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c <= 0x20 || c >= 0x7F) {
      // Appendix B: non-ASCII and control characters arrive percent-encoded, never raw.
      return InvalidRequest("raw control, space or non-ASCII byte in parameter");
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  // RFC 6749 Appendix B: names and values are UTF-8 before encoding.
  if (!IsValidUtf8(out)) return InvalidRequest("parameter is not valid UTF-8");
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

Result<FormParams> ParseForm(std::string_view text, size_t max_params) {
  FormParams params;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view piece = text.substr(pos, amp - pos);
    pos = amp + 1;
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    if (raw_name.empty()) return InvalidRequest("parameter without a name");
    IDS_ASSIGN_OR_RETURN(std::string name, PercentDecode(raw_name, true));
    IDS_ASSIGN_OR_RETURN(std::string value, PercentDecode(raw_value, true));
    // RFC 6749 §3.1: parameters sent without a value MUST be treated as omitted.
    if (value.empty()) continue;
    if (params.size() >= max_params) return InvalidRequest("too many parameters");
    params.Add(std::move(name), std::move(value));
  }
  return params;
}

}  // namespace idscheme::http

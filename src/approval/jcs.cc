#include "approval/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "crypto/json.h"

namespace idscheme::approval {
namespace {

using json = nlohmann::json;

// 2^53: the largest magnitude below which every integer is a double (RFC 7493 §2.2).
constexpr uint64_t kMaxExactInteger = uint64_t{1} << 53;

// Decodes UTF-8 into UTF-16 code units; false on any invalid sequence (overlong forms,
// surrogates, code points above U+10FFFF, truncation).
bool Utf8ToUtf16(std::string_view s, std::u16string* out) {
  out->clear();
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      cp = b0 & 0x1F;
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      cp = b0 & 0x0F;
      len = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      cp = b0 & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out->push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return true;
}

// RFC 8785 §3.2.2.2: the string with its quotes, the minimal escapes, the rest as UTF-8.
Status AppendString(std::string_view s, std::string* out) {
  std::u16string ignored;
  if (!Utf8ToUtf16(s, &ignored)) return Status::InvalidArgument("JCS: invalid UTF-8 in a string");
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    const auto u = static_cast<uint8_t>(c);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (u < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 15]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
  return Status::Ok();
}

Status AppendValue(const json& value, int depth, std::string* out);

Status AppendObject(const json& value, int depth, std::string* out) {
  // §3.2.3: sort by the names' UTF-16 code units (UTF-8 byte order differs above U+FFFF).
  std::vector<std::pair<std::u16string, const json::object_t::value_type*>> members;
  members.reserve(value.size());
  for (const auto& member : value.get_ref<const json::object_t&>()) {
    std::u16string key;
    if (!Utf8ToUtf16(member.first, &key)) {
      return Status::InvalidArgument("JCS: invalid UTF-8 in a member name");
    }
    members.emplace_back(std::move(key), &member);
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out->push_back('{');
  bool first = true;
  for (const auto& [key, member] : members) {
    if (!first) out->push_back(',');
    first = false;
    IDS_RETURN_IF_ERROR(AppendString(member->first, out));
    out->push_back(':');
    IDS_RETURN_IF_ERROR(AppendValue(member->second, depth + 1, out));
  }
  out->push_back('}');
  return Status::Ok();
}

// An integer is a JSON number like any other (RFC 8785 §3.2.2.3: an IEEE-754 double). Accepted
// only when ECMAScript writes that double as the integer's own digits, so the canonical text
// reads back as the same integer (100000000000000000 is fine, 2^53 + 1 is not).
template <typename Int>
Status AppendInteger(Int v, std::string* out) {
  const std::string digits = std::to_string(v);
  const uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (magnitude > kMaxExactInteger) {
    IDS_ASSIGN_OR_RETURN(std::string as_double, SerializeNumber(static_cast<double>(v)));
    if (as_double != digits) {
      return Status::InvalidArgument("JCS: integer has no exact IEEE-754 double form");
    }
  }
  *out += digits;
  return Status::Ok();
}

Status AppendValue(const json& value, int depth, std::string* out) {
  if (depth > kMaxJcsDepth) return Status::InvalidArgument("JCS: nesting too deep");
  switch (value.type()) {
    case json::value_t::null:
      *out += "null";
      return Status::Ok();
    case json::value_t::boolean:
      *out += value.get<bool>() ? "true" : "false";
      return Status::Ok();
    case json::value_t::string:
      return AppendString(value.get_ref<const std::string&>(), out);
    case json::value_t::number_integer:
      return AppendInteger(value.get<int64_t>(), out);
    case json::value_t::number_unsigned:
      return AppendInteger(value.get<uint64_t>(), out);
    case json::value_t::number_float: {
      IDS_ASSIGN_OR_RETURN(std::string text, SerializeNumber(value.get<double>()));
      *out += text;
      return Status::Ok();
    }
    case json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& element : value) {
        if (!first) out->push_back(',');
        first = false;
        IDS_RETURN_IF_ERROR(AppendValue(element, depth + 1, out));
      }
      out->push_back(']');
      return Status::Ok();
    }
    case json::value_t::object:
      return AppendObject(value, depth, out);
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  return Status::InvalidArgument("JCS: not a JSON value");
}

}  // namespace

Result<std::string> SerializeNumber(double value) {
  // RFC 8785 §3.2.2.3 / ECMA-262 Number::toString.
  if (!std::isfinite(value)) return Status::InvalidArgument("JCS: NaN and Infinity are not JSON");
  if (value == 0) return std::string("0");  // also -0
  std::string out;
  if (value < 0) {
    out.push_back('-');
    value = -value;
  }
  // The shortest digits that read back as `value` (ties to the closest), as d.ddde±x.
  char buf[64];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  if (ec != std::errc()) return Status::Internal("JCS: number formatting failed");
  const std::string_view sci(buf, static_cast<size_t>(end - buf));
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  const int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());  // ECMA-262: k digits, value = s * 10^(n-k)
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Result<std::string> Canonicalize(const nlohmann::json& value) {
  std::string out;
  IDS_RETURN_IF_ERROR(AppendValue(value, 0, &out));
  return out;
}

Result<std::string> CanonicalizeText(std::string_view text) {
  IDS_ASSIGN_OR_RETURN(nlohmann::json value, crypto::ParseJsonStrict(text));
  return Canonicalize(value);
}

}  // namespace idscheme::approval

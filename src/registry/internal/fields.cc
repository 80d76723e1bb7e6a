#include "registry/internal/fields.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>

namespace idscheme::registry::internal {

using json = nlohmann::json;

Status FieldError(std::string_view field, std::string_view what) {
  std::string m(field);
  m += ": ";
  m += what;
  return Status::InvalidArgument(std::move(m));
}

Status CheckFields(const json& object, std::string_view what,
                   std::initializer_list<std::string_view> known,
                   std::initializer_list<std::string_view> server_set, std::string_view prefix) {
  if (!object.is_object()) return FieldError(what, "must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(server_set.begin(), server_set.end(), key) != server_set.end())
      return FieldError(std::string(prefix) + key, "is set by the server, not by a request");
    if (std::find(known.begin(), known.end(), key) == known.end())
      return FieldError(std::string(prefix) + (IsValidUtf8(key) ? key : "?"), "unknown field");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> OptString(const json& object, std::string_view field) {
  auto it = object.find(field);
  if (it == object.end()) return std::optional<std::string>();
  if (!it->is_string()) return FieldError(field, "must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<bool>> OptBool(const json& object, std::string_view field) {
  auto it = object.find(field);
  if (it == object.end()) return std::optional<bool>();
  if (!it->is_boolean()) return FieldError(field, "must be true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::vector<std::string>>> OptStringArray(const json& object,
                                                               std::string_view field,
                                                               bool allow_empty) {
  auto it = object.find(field);
  if (it == object.end()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return FieldError(field, "must be an array of strings");
  if (it->empty() && !allow_empty) return FieldError(field, "must not be empty");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    if (!v.is_string()) return FieldError(name, "must be a string");
    std::string s = v.get<std::string>();
    if (!seen.insert(s).second) return FieldError(name, "duplicate value");
    out.push_back(std::move(s));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

namespace {

// The code point at `pos` of well-formed UTF-8, moving `pos` past it.
char32_t NextCodePoint(std::string_view text, size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos++]);
  if (lead < 0x80) return lead;
  const int continuations = lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3;
  char32_t c = lead & (0x3F >> continuations);
  for (int i = 0; i < continuations; ++i)
    c = (c << 6) | (static_cast<unsigned char>(text[pos++]) & 0x3F);
  return c;
}

bool In(char32_t c, char32_t first, char32_t last) { return c >= first && c <= last; }

// What a code point is to a reader of the text.
enum class Glyph { kVisible, kSpace, kControl, kLineBreak, kHidden };

Glyph Classify(char32_t c) {
  // General_Category Cc: C0, DEL and C1 (NEL, U+0085, among them).
  if (c < 0x20 || In(c, 0x7F, 0x9F)) return Glyph::kControl;
  // General_Category Zs: spaces, which a reader cannot tell from U+0020.
  if (c == 0x20 || c == 0xA0 || c == 0x1680 || In(c, 0x2000, 0x200A) || c == 0x202F ||
      c == 0x205F || c == 0x3000)
    return Glyph::kSpace;
  // General_Category Zl and Zp.
  if (c == 0x2028 || c == 0x2029) return Glyph::kLineBreak;
  // Bidi_Control (UAX #9: ALM, LRM, RLM, embeddings, overrides, isolates) and the rest of
  // Default_Ignorable_Code_Point (UAX #44: zero-width and other characters shown as nothing;
  // PRECIS's FreeformClass, RFC 8264, disallows them too), and the interlinear annotation
  // characters (U+FFF9-FFFB), which hide the text between them.
  // Left out: the variation selectors (U+180B-180D, U+180F, U+FE00-FE0F, U+E0100-E01EF), which
  // choose the form of the character before them in Mongolian, CJK and emoji.
  if (c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 ||
      In(c, 0x17B4, 0x17B5) || c == 0x180E || In(c, 0x200B, 0x200F) || In(c, 0x202A, 0x202E) ||
      In(c, 0x2060, 0x206F) || c == 0x3164 || c == 0xFEFF || c == 0xFFA0 || In(c, 0xFFF0, 0xFFFB) ||
      In(c, 0x1BCA0, 0x1BCA3) || In(c, 0x1D173, 0x1D17A) || In(c, 0xE0000, 0xE00FF) ||
      In(c, 0xE01F0, 0xE0FFF))
    return Glyph::kHidden;
  return Glyph::kVisible;
}

// " (U+202E)"
std::string CodePointName(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, " (U+%04X)", static_cast<unsigned>(c));
  return buf;
}

}  // namespace

Status CheckText(std::string_view field, std::string_view value, size_t max_bytes) {
  if (value.empty()) return FieldError(field, "must not be empty");
  if (value.size() > max_bytes)
    return FieldError(field, "longer than " + std::to_string(max_bytes) + " bytes");
  if (!IsValidUtf8(value)) return FieldError(field, "is not valid UTF-8");
  // Names are shown to people (the app, the login pages) as proof of who is asking: nothing in
  // them may be invisible, reorder the text around it, or break the line.
  bool only_spaces = true;
  char32_t first = 0, last = 0;
  for (size_t pos = 0; pos < value.size();) {
    const bool at_start = pos == 0;
    const char32_t c = NextCodePoint(value, pos);
    if (at_start) first = c;
    last = c;
    switch (Classify(c)) {
      case Glyph::kControl:
        return FieldError(field, "must not contain control characters" + CodePointName(c));
      case Glyph::kLineBreak:
        return FieldError(field,
                          "must not contain line or paragraph separators" + CodePointName(c));
      case Glyph::kHidden:
        return FieldError(field, "must not contain invisible or direction-changing characters" +
                                     CodePointName(c));
      case Glyph::kSpace:
        break;
      case Glyph::kVisible:
        only_spaces = false;
        break;
    }
  }
  if (only_spaces) return FieldError(field, "must not be only spaces");
  for (char32_t end : {first, last}) {
    if (Classify(end) == Glyph::kSpace)
      return FieldError(field, "must not start or end with a space" + CodePointName(end));
  }
  return Status::Ok();
}

bool IsWellFormedId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace idscheme::registry::internal

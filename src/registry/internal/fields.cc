#include "registry/internal/fields.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
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

Status CheckText(std::string_view field, std::string_view value, size_t max_bytes) {
  if (value.empty()) return FieldError(field, "must not be empty");
  if (value.size() > max_bytes)
    return FieldError(field, "longer than " + std::to_string(max_bytes) + " bytes");
  if (!IsValidUtf8(value)) return FieldError(field, "is not valid UTF-8");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7F) return FieldError(field, "must not contain control characters");
  }
  if (value.front() == ' ' || value.back() == ' ')
    return FieldError(field, "must not start or end with a space");
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

#include "crypto/json.h"

#include <vector>

namespace idscheme::crypto {
namespace {

using json = nlohmann::json;

// Builds the DOM like nlohmann's own parser, but refuses duplicate keys and deep nesting.
class StrictSax {
 public:
  explicit StrictSax(int max_depth) : max_depth_(max_depth) {}

  bool null() { return Put(nullptr); }
  bool boolean(bool v) { return Put(v); }
  bool number_integer(json::number_integer_t v) { return Put(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Put(v); }
  bool number_float(json::number_float_t v, const std::string&) {
    if (!std::isfinite(v)) return Fail("number out of range");
    return Put(v);
  }
  bool string(json::string_t& v) { return Put(std::move(v)); }
  bool binary(json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) {
    if (static_cast<int>(stack_.size()) >= max_depth_) return Fail("nesting too deep");
    json* obj = Put(json::object());
    if (obj == nullptr) return false;
    stack_.push_back(obj);
    return true;
  }
  bool key(json::string_t& k) {
    json* obj = stack_.back();
    if (obj->contains(k)) return Fail("duplicate member name \"" + Printable(k) + "\"");
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    if (static_cast<int>(stack_.size()) >= max_depth_) return Fail("nesting too deep");
    json* arr = Put(json::array());
    if (arr == nullptr) return false;
    stack_.push_back(arr);
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    return Fail("syntax error at byte " + std::to_string(position));
  }

  json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  template <typename V>
  json* PutValue(V&& v) {
    if (stack_.empty()) {
      root_ = json(std::forward<V>(v));
      return &root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(json(std::forward<V>(v)));
      return &top->back();
    }
    json& slot = (*top)[pending_key_];
    slot = json(std::forward<V>(v));
    return &slot;
  }
  template <typename V>
  json* Put(V&& v) {
    return PutValue(std::forward<V>(v));
  }
  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  static std::string Printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 40)) out.push_back(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
    return out;
  }

  int max_depth_;
  json root_;
  std::vector<json*> stack_;
  std::string pending_key_;
  std::string error_;
};

}  // namespace

Result<json> ParseJsonStrict(std::string_view text, int max_depth) {
  // nlohmann skips a UTF-8 byte-order mark silently; JSON text in JOSE never carries one.
  if (text.size() >= 3 && static_cast<uint8_t>(text[0]) == 0xEF &&
      static_cast<uint8_t>(text[1]) == 0xBB && static_cast<uint8_t>(text[2]) == 0xBF) {
    return Status::InvalidArgument("JSON: byte-order mark not allowed");
  }
  // nlohmann stops at a NUL byte as if the input ended there, and a raw NUL is never valid JSON
  // (inside strings it must be escaped), so refuse it before it can hide trailing bytes.
  if (text.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("JSON: NUL byte");
  }
  StrictSax sax(max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const json::exception&) {
    ok = false;
  }
  if (!ok) {
    return Status::InvalidArgument("JSON: " +
                                   (sax.error().empty() ? std::string("invalid") : sax.error()));
  }
  return std::move(sax.root());
}

Result<json> ParseJsonObjectStrict(std::string_view text, int max_depth) {
  IDS_ASSIGN_OR_RETURN(json value, ParseJsonStrict(text, max_depth));
  if (!value.is_object()) return Status::InvalidArgument("JSON: not an object");
  return value;
}

Result<std::string> DumpJson(const json& value) {
  try {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    return Status::InvalidArgument("JSON: value cannot be serialised (invalid UTF-8)");
  }
}

}  // namespace idscheme::crypto

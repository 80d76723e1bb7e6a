// Strict application/x-www-form-urlencoded parsing, for query strings and form bodies
// (RFC 6749 §3.1 and Appendix B; HTML's urlencoded serialiser is the producer we expect).
//
// Strict means: bad percent-encoding, a NUL byte, raw control or non-ASCII bytes, invalid UTF-8
// after decoding, and an empty name are errors (invalid_request), never silently repaired.
// Every value of a parameter sent twice is kept, so that protocol endpoints can reject it
// (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
//
// Thread-safety: FormParams is a value type; const methods are safe from several threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace idscheme::http {

class FormParams {
 public:
  using Entry = std::pair<std::string, std::string>;

  // The first value of `name`, or nullopt when absent. Does not notice duplicates: protocol
  // endpoints call CheckNoDuplicates() first, or use Unique().
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of `name`, in the order sent.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  size_t Count(std::string_view name) const;
  bool Has(std::string_view name) const { return Count(name) > 0; }

  // The value of `name` (nullopt when absent), or invalid_request when it was sent more than once.
  Result<std::optional<std::string_view>> Unique(std::string_view name) const;
  // invalid_request naming the first parameter sent more than once; OK when there is none.
  Status CheckNoDuplicates() const;

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  void Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::vector<Entry> entries_;
};

// The most parameters ParseForm accepts (a guard against hash-flooding style payloads).
inline constexpr size_t kMaxFormParams = 512;

// Parses `a=1&b=x+y&c=%2F`. Empty pieces (`a=1&&b=2`, a trailing `&`) are skipped; a name with an
// empty value (or no `=`) is dropped: RFC 6749 §3.1 says such a parameter MUST be treated as
// omitted.
Result<FormParams> ParseForm(std::string_view text, size_t max_params = kMaxFormParams);

// Decodes one percent-encoded component strictly (see above). With `plus_is_space`, `+` means a
// space (form encoding); otherwise it stays `+` (URL paths).
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Percent-encodes everything but the RFC 3986 unreserved characters (for building query strings
// and form bodies; space becomes %20).
std::string PercentEncode(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace idscheme::http

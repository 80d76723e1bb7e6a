#include "store/internal/sql_text.h"

#include <cctype>

namespace idscheme::store::internal {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// End of a quoted run that opens at `i` with `quote`; a doubled quote stays inside, and so does
// a backslash-escaped one when `backslash` is set.
size_t QuotedEnd(std::string_view s, size_t i, char quote, bool backslash) {
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (backslash && s[j] == '\\') {
      ++j;
    } else if (s[j] == quote) {
      if (j + 1 < s.size() && s[j + 1] == quote) {
        ++j;
      } else {
        return j + 1;
      }
    }
  }
  return s.size();
}

// If a literal, quoted identifier, comment or dollar-quoted body starts at `i`, the index just
// past it; otherwise `i`.
size_t SkipNonCode(std::string_view s, size_t i) {
  const char c = s[i];
  const char next = i + 1 < s.size() ? s[i + 1] : '\0';
  if (c == '\'') {
    // E'...' strings take backslash escapes (standard_conforming_strings is on by default).
    bool escape =
        i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') && (i < 2 || !IsIdentChar(s[i - 2]));
    return QuotedEnd(s, i, '\'', escape);
  }
  if (c == '"') return QuotedEnd(s, i, '"', false);
  if (c == '-' && next == '-') {
    size_t eol = s.find('\n', i);
    return eol == std::string_view::npos ? s.size() : eol + 1;
  }
  if (c == '/' && next == '*') {
    int depth = 0;
    for (size_t j = i; j + 1 < s.size(); ++j) {
      if (s[j] == '/' && s[j + 1] == '*') {
        ++depth;
        ++j;
      } else if (s[j] == '*' && s[j + 1] == '/') {
        ++j;
        if (--depth == 0) return j + 1;
      }
    }
    return s.size();
  }
  if (c == '$' && (i == 0 || !IsIdentChar(s[i - 1]))) {
    size_t j = i + 1;
    if (j < s.size() && IsIdentStart(s[j])) {
      while (j < s.size() && IsIdentChar(s[j]) && s[j] != '$') ++j;
    }
    if (j >= s.size() || s[j] != '$') return i;  // $1 and the like: not a quote
    std::string_view tag = s.substr(i, j - i + 1);
    size_t close = s.find(tag, j + 1);
    return close == std::string_view::npos ? s.size() : close + tag.size();
  }
  return i;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

std::string NumberPlaceholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (size_t i = 0; i < sql.size();) {
    size_t end = SkipNonCode(sql, i);
    if (end != i) {
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (sql[i] == '?') {
      out += '$';
      out += std::to_string(++n);
      ++i;
    } else {
      out += sql[i++];
    }
  }
  *count = n;
  return out;
}

std::string ReplaceWord(std::string_view sql, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(sql.size() + 16);
  for (size_t i = 0; i < sql.size();) {
    size_t end = SkipNonCode(sql, i);
    if (end != i) {
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (IsIdentStart(sql[i]) && (i == 0 || !IsIdentChar(sql[i - 1]))) {
      size_t j = i;
      while (j < sql.size() && IsIdentChar(sql[j])) ++j;
      std::string_view word = sql.substr(i, j - i);
      out.append(EqualsIgnoreCase(word, from) ? to : word);
      i = j;
    } else {
      out += sql[i++];
    }
  }
  return out;
}

}  // namespace idscheme::store::internal

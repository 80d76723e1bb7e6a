#include "identity/internal/fields.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace idscheme::identity::internal {

using json = nlohmann::json;

namespace {

// ISO 3166-1 alpha-2, the officially assigned codes (249), sorted.
constexpr std::string_view kCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW";

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsEmailLocalChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}

}  // namespace

Status FieldError(std::string_view field, std::string_view what) {
  std::string m(field);
  m += ": ";
  m += what;
  return Status::InvalidArgument(std::move(m));
}

Status CheckObject(const json& object, std::string_view name,
                   std::initializer_list<std::string_view> known, std::string_view prefix) {
  if (!object.is_object()) return FieldError(name, "must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      return FieldError(std::string(prefix) + (IsValidUtf8(key) ? key : "?"), "unknown field");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> OptString(const json& object, std::string_view key,
                                             std::string_view prefix) {
  auto it = object.find(key);
  if (it == object.end()) return std::optional<std::string>();
  if (!it->is_string())
    return FieldError(std::string(prefix) + std::string(key), "must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

bool IsE164(std::string_view phone) {
  // ITU-T E.164 §6: at most 15 digits, the country code never starts with 0.
  if (phone.size() < 8 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status CheckPhone(std::string_view field, std::string_view phone) {
  if (!IsE164(phone)) return FieldError(field, "must be E.164, e.g. +31612345678");
  return Status::Ok();
}

bool IsCountryCode(std::string_view code) {
  if (code.size() != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z')
    return false;
  for (size_t i = 0; i + 2 <= kCountries.size(); i += 3) {
    if (kCountries.substr(i, 2) == code) return true;
  }
  return false;
}

Status CheckCountry(std::string_view field, std::string_view code) {
  if (!IsCountryCode(code))
    return FieldError(field, "must be an ISO 3166-1 alpha-2 country code, e.g. BE");
  return Status::Ok();
}

std::optional<int64_t> ParseDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !Digits(text, 0, 4, &y) ||
      !Digits(text, 5, 2, &m) || !Digits(text, 8, 2, &d))
    return std::nullopt;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1800 || m < 1 || m > 12 || d < 1) return std::nullopt;
  int max = kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
  if (d > max) return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

Status CheckDate(std::string_view field, std::string_view text) {
  if (!ParseDate(text)) return FieldError(field, "must be a date YYYY-MM-DD, e.g. 1990-04-27");
  return Status::Ok();
}

std::optional<int64_t> ParseDateTime(std::string_view text) {
  // RFC 3339 §5.6, restricted to UTC ("Z") and whole seconds.
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z')
    return std::nullopt;
  auto day = ParseDate(text.substr(0, 10));
  int h = 0, mi = 0, s = 0;
  if (!day || !Digits(text, 11, 2, &h) || !Digits(text, 14, 2, &mi) || !Digits(text, 17, 2, &s) ||
      h > 23 || mi > 59 || s > 59)
    return std::nullopt;
  return *day * 86400 + h * 3600 + mi * 60 + s;
}

std::string FormatDateTime(int64_t seconds) {
  // H. Hinnant's civil_from_days.
  int64_t z = DayOf(seconds) + 719468;
  int64_t secs = seconds - DayOf(seconds) * 86400;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y0 = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = y0 + (m <= 2);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

Status CheckEmail(std::string_view field, std::string_view email) {
  if (email.size() > 254) return FieldError(field, "longer than 254 characters");
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return FieldError(field, "must be one address, local@domain");
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.size() > 64) return FieldError(field, "local part longer than 64 characters");
  if (!std::all_of(local.begin(), local.end(), IsEmailLocalChar))
    return FieldError(field, "unexpected character in the local part");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return FieldError(field, "misplaced '.' in the local part");
  if (domain.find('.') == std::string_view::npos) return FieldError(field, "domain has no '.'");
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? domain.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        }))
      return FieldError(field, "malformed domain");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return Status::Ok();
}

bool IsWellFormedId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace idscheme::identity::internal

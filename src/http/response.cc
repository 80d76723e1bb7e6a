#include "http/response.h"

#include <algorithm>

#include "http/error_response.h"

namespace idscheme::http {

Response& Response::SetHeader(std::string_view name, std::string value) {
  RemoveHeader(name);
  headers_.push_back({std::string(name), std::move(value)});
  return *this;
}

Response& Response::AddHeader(std::string_view name, std::string value) {
  headers_.push_back({std::string(name), std::move(value)});
  return *this;
}

void Response::RemoveHeader(std::string_view name) {
  std::erase_if(headers_, [&](const Header& h) { return EqualsIgnoreCase(h.name, name); });
}

std::optional<std::string_view> Response::GetHeader(std::string_view name) const {
  for (const auto& h : headers_) {
    if (EqualsIgnoreCase(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

Response& Response::CacheFor(std::chrono::seconds max_age) {
  return SetHeader("Cache-Control", "public, max-age=" + std::to_string(max_age.count()));
}

Response Response::Json(int status, const nlohmann::json& value) {
  return JsonText(status, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response Response::JsonText(int status, std::string json) {
  Response r(status);
  r.headers_.push_back({"Content-Type", "application/json"});
  r.body_ = std::move(json);
  return r;
}

Response Response::Html(int status, std::string html,
                        std::span<const std::string> form_action_targets) {
  Response r(status);
  r.headers_.reserve(4);
  r.headers_.push_back({"Content-Type", "text/html; charset=utf-8"});
  r.headers_.push_back({"Content-Security-Policy", HtmlContentSecurityPolicy(form_action_targets)});
  r.headers_.push_back({"X-Frame-Options", "DENY"});
  r.headers_.push_back({"Referrer-Policy", "no-referrer"});
  r.body_ = std::move(html);
  return r;
}

Response Response::Text(int status, std::string text) {
  Response r(status);
  r.headers_.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body_ = std::move(text);
  return r;
}

Response Response::Redirect(int status, std::string location) {
  Response r(status == 303 ? 303 : 302);
  r.headers_.push_back({"Location", std::move(location)});
  return r;
}

Response Response::Error(const Status& status, std::string_view auth_scheme) {
  HttpError e = MapStatus(status, auth_scheme);
  nlohmann::json body = {{"error", e.error}};
  if (!e.description.empty()) body["error_description"] = e.description;
  Response r = Json(e.status, body);
  if (!e.www_authenticate.empty()) r.headers_.push_back({"WWW-Authenticate", e.www_authenticate});
  r.log_detail_ = std::move(e.internal_detail);
  return r;
}

Response Response::ServerSentEvents(EventStreamProducer producer) {
  Response r(200);
  r.headers_.push_back({"Content-Type", "text/event-stream"});
  r.event_stream_ = std::move(producer);
  return r;
}

std::optional<std::string> CspSourceForUrl(std::string_view url) {
  size_t scheme_len;
  if (url.substr(0, 8) == "https://") {
    scheme_len = 8;
  } else if (url.substr(0, 7) == "http://") {
    scheme_len = 7;
  } else {
    return std::nullopt;
  }
  // Drop query and fragment: CSP matches scheme, host, port and path only.
  const std::string_view source = url.substr(0, url.find_first_of("?#", scheme_len));
  const size_t path_at = std::min(source.find('/', scheme_len), source.size());
  const std::string_view authority = source.substr(scheme_len, path_at - scheme_len);
  // CSP3 §2.3.1 host-part and port-part: no user info, nothing that would end the expression.
  if (authority.empty()) return std::nullopt;
  for (char ch : authority) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-._~:[]").find(ch) != std::string_view::npos;
    if (!ok) return std::nullopt;
  }
  std::string out(source.substr(0, path_at));
  // CSP3 §2.3.1: a source expression has no whitespace, ';' or ','; those two (and a quote) are
  // percent-encoded in a path, which matching decodes (§6.7.2.12). A path with anything else
  // unusual is left out: the origin alone still lets the page post to the client.
  std::string path;
  for (char ch : source.substr(path_at)) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~:/[]%@!$&()*+=").find(ch) != std::string_view::npos) {
      path.push_back(ch);
    } else if (ch == ';' || ch == ',' || ch == '\'') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      path += {'%', kHex[c >> 4], kHex[c & 0xF]};
    } else {
      return out;
    }
  }
  return out + path;
}

std::string HtmlContentSecurityPolicy(std::span<const std::string> extra_form_action) {
  std::string csp =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; form-action 'self'";
  for (const auto& target : extra_form_action) {
    if (auto source = CspSourceForUrl(target)) {
      csp.push_back(' ');
      csp += *source;
    }
  }
  csp += "; frame-ancestors 'none'; base-uri 'none'";
  return csp;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace idscheme::http

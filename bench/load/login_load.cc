// idscheme-login-load: complete logins by scripted clients against a running node (issue 5's
// "complete login" figure and issue 6's workload 5). Each virtual user plays three parts, each
// over its own keep-alive connection, exactly as the real parties would:
//
//   the service provider  POST /par (private_key_jwt, PKCE S256) -> request_uri
//   the browser           GET /authorize?request_uri -> 303 /login/{id} + cookie
//                         GET /login/{id} (phone page), POST /login/{id}/phone
//                         GET /login/{id} (waiting page: the verification code)
//   the phone             GET /app/v1/actions, POST /app/v1/actions/{id}/approve (device proofs,
//                         pin_input, the code the page showed, the ES256 signature of the digest)
//   the browser           GET /login/{id}/status, GET /login/{id}/continue -> 303 with the code
//   the service provider  POST /token (authorization_code, private_key_jwt, code_verifier)
//                         GET /userinfo
//
// Before the timed part every person's device is enrolled through POST /app/v1/devices with an
// activation code (the phone's key is made here; its pin_input is 32 random bytes: the server
// never sees the device-side derivation, docs/pin.md). Each virtual user owns some persons and
// uses them in turn, so no person has two pending actions at once.
//
//   idscheme-login-load --server URL --client-id ID --client-key FILE --redirect-uri URI
//                       --persons FILE [--devices FILE] [--users N] [--duration SECONDS]
//                       [--scope SCOPE]
//   --persons: one person per line, "<phone> <activation code>".
//   --devices: the phones enrolled by an earlier run (read when it exists, then written), since
//              an activation code works once. With --enroll-only the run stops after enrolling
//              (so a measurement does not include the enrolments' PIN verifiers).
// Prints one line: BENCH {"requests" (logins), "seconds", "rps", "p50_us", "p90_us", "p99_us",
// "max_us", "errors", "first_error"}; exits 1 when any login failed.
//
// Plain HTTP to the node (a loopback benchmark); the ID token's signature is not verified here
// (an RP would; the driver's CPU is the machine's too).

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/action_signature.h"
#include "app/device_proof.h"
#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "crypto/jwt.h"
#include "crypto/key.h"
#include "crypto/random.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using idscheme::Result;
using idscheme::Status;

struct Options {
  std::string server;  // http://host:port, no path
  std::string client_id;
  std::string client_key_file;
  std::string redirect_uri;
  std::string persons_file;
  std::string devices_file;  // enrolled phones, kept between runs (activation codes are single-use)
  std::string scope = "openid";
  bool enroll_only = false;
  int users = 32;
  double duration = 10;
};

struct Person {
  std::string phone;
  std::string activation_code;
  idscheme::crypto::KeyPtr device_key;
  std::string device_id;
  std::string pin_input;
};

struct Reply {
  int status = 0;
  std::string location;
  std::string set_cookie;
  std::string body;
};

// One keep-alive HTTP/1.1 connection; reconnects when the server closed it.
class Connection {
 public:
  Connection(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {}

  Result<Reply> Do(http::verb method, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   std::string body = {}, const char* content_type = nullptr) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      beast::error_code ec;
      if (!socket_.is_open()) {
        asio::ip::tcp::resolver resolver(io_);
        auto endpoints = resolver.resolve(host_, port_, ec);
        if (!ec) asio::connect(socket_, endpoints, ec);
        if (ec) return Status::Unavailable("connect: " + ec.message());
        socket_.set_option(asio::ip::tcp::no_delay(true));
      }
      http::request<http::string_body> req{method, target, 11};
      req.set(http::field::host, host_ + ":" + port_);
      for (const auto& [name, value] : headers) req.set(name, value);
      if (content_type) req.set(http::field::content_type, content_type);
      req.body() = body;
      req.prepare_payload();
      http::write(socket_, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(socket_, buffer_, res, ec);
      if (ec) {
        // A keep-alive connection the server closed meanwhile: once more on a new one.
        socket_.close(ec);
        buffer_.clear();
        continue;
      }
      Reply r;
      r.status = static_cast<int>(res.result_int());
      r.location = std::string(res[http::field::location]);
      r.set_cookie = std::string(res[http::field::set_cookie]);
      r.body = std::move(res.body());
      if (!res.keep_alive()) socket_.close(ec);
      return r;
    }
    return Status::Unavailable("the connection failed twice");
  }

 private:
  std::string host_, port_;
  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
};

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&name, &value}) {
      for (unsigned char c : *s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += hex[c >> 4];
          out += hex[c & 15];
        }
      }
      if (s == &name) out += '=';
    }
  }
  return out;
}

// The value of `name` in the query of a URL (codes and states here are URL-safe already).
std::string QueryParam(const std::string& url, const std::string& name) {
  const auto q = url.find('?');
  if (q == std::string::npos) return {};
  std::string query = url.substr(q + 1);
  std::stringstream ss(query);
  std::string part;
  while (std::getline(ss, part, '&')) {
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
  }
  return {};
}

// "name=value" of a Set-Cookie header.
std::string CookiePair(const std::string& set_cookie) {
  return set_cookie.substr(0, set_cookie.find(';'));
}

std::string Between(const std::string& text, const std::string& open, char close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return {};
  const auto from = start + open.size();
  const auto end = text.find(close, from);
  return end == std::string::npos ? std::string() : text.substr(from, end - from);
}

class Driver {
 public:
  Driver(Options options, idscheme::crypto::KeyPtr client_key)
      : o_(std::move(options)), client_key_(std::move(client_key)) {
    const std::string rest = o_.server.substr(std::string("http://").size());
    const auto colon = rest.rfind(':');
    host_ = rest.substr(0, colon);
    port_ = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  }

  Status Enroll(Person& p) {
    Connection c(host_, port_);
    IDS_ASSIGN_OR_RETURN(p.device_key,
                         idscheme::crypto::Key::Generate(idscheme::crypto::KeyType::kEcP256));
    std::vector<uint8_t> pin(32);
    random_.Fill(pin);
    p.pin_input = idscheme::Base64UrlEncode(pin);
    IDS_ASSIGN_OR_RETURN(json public_jwk, p.device_key->ToJwk(false));
    json body = {{"activation_code", p.activation_code},
                 {"public_jwk", public_jwk},
                 {"name", "load phone"},
                 {"pin_input", p.pin_input}};
    IDS_ASSIGN_OR_RETURN(
        Reply r, c.Do(http::verb::post, "/app/v1/devices", {}, body.dump(), "application/json"));
    if (r.status != 201) return Status::Internal("enrol " + p.phone + ": " + r.body.substr(0, 200));
    auto answer = json::parse(r.body, nullptr, false);
    if (!answer.is_object() || !answer.contains("device_id"))
      return Status::Internal("enrol: no device_id");
    p.device_id = answer["device_id"].get<std::string>();
    return Status::Ok();
  }

  // One complete login; the error names the step that failed.
  Status Login(Person& p, Connection& rp, Connection& browser, Connection& phone) {
    const std::string verifier = random_.Token(32);
    const auto challenge_digest = idscheme::crypto::Sha256(verifier);
    const std::string challenge = idscheme::Base64UrlEncode(
        std::span<const uint8_t>(challenge_digest.data(), challenge_digest.size()));
    const std::string state = random_.Token(12);

    IDS_ASSIGN_OR_RETURN(std::string assertion, Assertion());
    IDS_ASSIGN_OR_RETURN(Reply par, rp.Do(http::verb::post, "/par", {},
                                          FormEncode({{"response_type", "code"},
                                                      {"client_id", o_.client_id},
                                                      {"redirect_uri", o_.redirect_uri},
                                                      {"scope", o_.scope},
                                                      {"state", state},
                                                      {"nonce", random_.Token(12)},
                                                      {"code_challenge", challenge},
                                                      {"code_challenge_method", "S256"},
                                                      {"client_assertion_type", kAssertionType},
                                                      {"client_assertion", assertion}}),
                                          kForm));
    if (par.status != 201) return Step("par", par);
    auto par_json = json::parse(par.body, nullptr, false);
    if (!par_json.is_object() || !par_json.contains("request_uri")) return Step("par", par);

    IDS_ASSIGN_OR_RETURN(
        Reply authz,
        browser.Do(http::verb::get,
                   "/authorize?" + FormEncode({{"client_id", o_.client_id},
                                               {"request_uri", par_json["request_uri"]}}),
                   {}));
    if (authz.status != 303 || authz.location.rfind("/login/", 0) != 0)
      return Step("authorize", authz);
    const std::string page = authz.location;
    const std::vector<std::pair<std::string, std::string>> cookie = {
        {"Cookie", CookiePair(authz.set_cookie)}};

    IDS_ASSIGN_OR_RETURN(Reply phone_page, browser.Do(http::verb::get, page, cookie));
    if (phone_page.status != 200) return Step("phone page", phone_page);
    IDS_ASSIGN_OR_RETURN(Reply submitted, browser.Do(http::verb::post, page + "/phone", cookie,
                                                     FormEncode({{"phone", p.phone}}), kForm));
    if (submitted.status != 303) return Step("phone", submitted);
    IDS_ASSIGN_OR_RETURN(Reply waiting, browser.Do(http::verb::get, page, cookie));
    const std::string code = Between(waiting.body, "id=\"verification-code\">", '<');
    if (waiting.status != 200 || code.empty()) return Step("waiting page", waiting);

    // The phone: its pending action, approved with the code the page shows.
    IDS_ASSIGN_OR_RETURN(Reply pending,
                         phone.Do(http::verb::get, "/app/v1/actions",
                                  {{"Authorization", Proof(p, "GET", "/app/v1/actions")}}));
    auto actions = json::parse(pending.body, nullptr, false);
    if (pending.status != 200 || !actions.is_object() || !actions["actions"].is_array() ||
        actions["actions"].empty())
      return Step("pending", pending);
    const json& action = actions["actions"].back();
    IDS_ASSIGN_OR_RETURN(std::string signature,
                         idscheme::app::SignActionDigest(*p.device_key, action, code));
    const std::string approve_path =
        "/app/v1/actions/" + action["id"].get<std::string>() + "/approve";
    json approval = {
        {"pin_input", p.pin_input}, {"verification_code", code}, {"device_signature", signature}};
    IDS_ASSIGN_OR_RETURN(Reply approved,
                         phone.Do(http::verb::post, approve_path,
                                  {{"Authorization", Proof(p, "POST", approve_path)}},
                                  approval.dump(), "application/json"));
    if (approved.status != 200) return Step("approve", approved);

    // The browser: the waiting page's script sees the outcome, then continues to the client.
    IDS_ASSIGN_OR_RETURN(Reply status, browser.Do(http::verb::get, page + "/status", cookie));
    if (status.status != 200 || status.body.find("approved") == std::string::npos)
      return Step("status", status);
    IDS_ASSIGN_OR_RETURN(Reply cont, browser.Do(http::verb::get, page + "/continue", cookie));
    const std::string auth_code = QueryParam(cont.location, "code");
    if ((cont.status != 302 && cont.status != 303) || auth_code.empty() ||
        QueryParam(cont.location, "state") != state)
      return Step("continue", cont);

    // The service provider: the code for tokens, then userinfo.
    IDS_ASSIGN_OR_RETURN(std::string assertion2, Assertion());
    IDS_ASSIGN_OR_RETURN(Reply token, rp.Do(http::verb::post, "/token", {},
                                            FormEncode({{"grant_type", "authorization_code"},
                                                        {"code", auth_code},
                                                        {"redirect_uri", o_.redirect_uri},
                                                        {"code_verifier", verifier},
                                                        {"client_assertion_type", kAssertionType},
                                                        {"client_assertion", assertion2}}),
                                            kForm));
    auto tokens = json::parse(token.body, nullptr, false);
    if (token.status != 200 || !tokens.is_object() || !tokens.contains("id_token") ||
        !tokens.contains("access_token"))
      return Step("token", token);
    IDS_ASSIGN_OR_RETURN(
        Reply userinfo,
        rp.Do(http::verb::get, "/userinfo",
              {{"Authorization", "Bearer " + tokens["access_token"].get<std::string>()}}));
    if (userinfo.status != 200 || userinfo.body.find("\"sub\"") == std::string::npos)
      return Step("userinfo", userinfo);
    return Status::Ok();
  }

  const std::string& host() const { return host_; }
  const std::string& port() const { return port_; }

 private:
  static constexpr const char* kForm = "application/x-www-form-urlencoded";
  static constexpr const char* kAssertionType =
      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  static Status Step(const std::string& step, const Reply& r) {
    return Status::Internal(step + ": HTTP " + std::to_string(r.status) + " " +
                            r.body.substr(0, 160));
  }

  // RFC 7523 §3: a fresh client assertion for the node (aud = the issuer).
  Result<std::string> Assertion() {
    const int64_t now = clock_.NowSeconds();
    json claims = {{"iss", o_.client_id},      {"sub", o_.client_id}, {"aud", o_.server},
                   {"jti", random_.Token(16)}, {"iat", now},          {"exp", now + 60}};
    return idscheme::crypto::SignJwt(claims, *client_key_, idscheme::crypto::SigAlg::kES256,
                                     client_key_->kid());
  }

  std::string Proof(const Person& p, const char* method, const std::string& path) {
    auto proof = idscheme::app::MakeDeviceProof(*p.device_key, p.device_id, method,
                                                o_.server + path, clock_.NowSeconds(), random_);
    return proof.ok() ? "Device " + *proof : std::string();
  }

  Options o_;
  idscheme::crypto::KeyPtr client_key_;
  std::string host_, port_;
  idscheme::Random& random_ = idscheme::crypto::SystemRandom();
  const idscheme::Clock& clock_ = idscheme::SystemClock::Instance();
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Complete logins (PAR, authorize, the phone's approval, token, userinfo) against a running "
      "idscheme node, by scripted clients (bench/compare's login workload).",
      "idscheme-login-load"};
  app.add_option("--server", o.server, "the node, http://host:port")
      ->required()
      ->check([](const std::string& v) {
        return v.rfind("http://", 0) == 0 ? std::string() : std::string("not an http:// URL");
      });
  app.add_option("--client-id", o.client_id, "the service provider's client")->required();
  app.add_option("--client-key", o.client_key_file, "its private key, a JWK in a file")->required();
  app.add_option("--redirect-uri", o.redirect_uri, "one of its redirect URIs")->required();
  app.add_option("--persons", o.persons_file,
                 "a file with one \"<phone> <activation code>\" per line")
      ->required();
  app.add_option("--devices", o.devices_file,
                 "enrolled phones, kept between runs (activation codes are single-use)");
  app.add_option("--users", o.users, "concurrent scripted logins")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--duration", o.duration, "seconds of logins")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--scope", o.scope, "the scope asked for")->capture_default_str();
  app.add_flag("--enroll-only", o.enroll_only, "enrol the phones (into --devices) and stop");
  CLI11_PARSE(app, argc, argv);

  std::ifstream key_in(o.client_key_file);
  std::string key_text((std::istreambuf_iterator<char>(key_in)), std::istreambuf_iterator<char>());
  auto client_key = idscheme::crypto::Key::FromJwkText(key_text);
  if (!client_key.ok()) {
    std::cerr << "login-load: --client-key: " << client_key.status().ToString() << "\n";
    return 2;
  }
  std::vector<Person> persons;
  std::ifstream persons_in(o.persons_file);
  for (std::string line; std::getline(persons_in, line);) {
    std::istringstream fields(line);
    Person p;
    if (fields >> p.phone >> p.activation_code) persons.push_back(std::move(p));
  }
  if (!o.enroll_only && persons.size() < static_cast<size_t>(o.users)) {
    std::cerr << "login-load: need at least one person per user (" << persons.size() << " < "
              << o.users << ")\n";
    return 2;
  }

  Driver driver(o, std::move(*client_key));
  // Phones enrolled by an earlier run.
  if (!o.devices_file.empty()) {
    std::ifstream in(o.devices_file);
    auto known = json::parse(in, nullptr, false);
    if (known.is_object()) {
      for (Person& p : persons) {
        if (!known.contains(p.phone)) continue;
        const json& d = known[p.phone];
        // Anything unreadable is enrolled again (with the activation code, if still unspent).
        if (!d.is_object() || !d.contains("key") || !d.value("device_id", json()).is_string() ||
            !d.value("pin_input", json()).is_string())
          continue;
        auto key = idscheme::crypto::Key::FromJwk(d["key"]);
        if (!key.ok()) continue;
        p.device_key = std::move(*key);
        p.device_id = d["device_id"].get<std::string>();
        p.pin_input = d["pin_input"].get<std::string>();
      }
    }
  }
  // Enrolment of the others, in parallel, untimed.
  {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < std::min(o.users, 8); ++t) {
      threads.emplace_back([&] {
        for (size_t i; (i = next++) < persons.size();) {
          if (persons[i].device_key) continue;
          Status s = driver.Enroll(persons[i]);
          if (!s.ok() && !failed.exchange(true))
            std::cerr << "login-load: " << s.ToString() << "\n";
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed) return 1;
  }
  if (!o.devices_file.empty()) {
    json known = json::object();
    for (const Person& p : persons) {
      auto key = p.device_key->ToJwk(true);
      if (!key.ok()) return 1;
      known[p.phone] = {{"device_id", p.device_id}, {"key", *key}, {"pin_input", p.pin_input}};
    }
    std::ofstream(o.devices_file) << known.dump();
  }
  if (o.enroll_only) return 0;

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.duration));
  std::mutex mu;
  std::vector<int64_t> latencies;
  int64_t errors = 0;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int u = 0; u < o.users; ++u) {
    threads.emplace_back([&, u] {
      Connection rp(driver.host(), driver.port());
      Connection browser(driver.host(), driver.port());
      Connection phone(driver.host(), driver.port());
      std::vector<int64_t> mine;
      int64_t my_errors = 0;
      std::string my_error;
      for (size_t k = static_cast<size_t>(u); Clock::now() < deadline;) {
        const auto t0 = Clock::now();
        Status s = driver.Login(persons[k], rp, browser, phone);
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        if (s.ok()) {
          mine.push_back(us);
        } else {
          ++my_errors;
          if (my_error.empty()) my_error = s.ToString();
        }
        k += static_cast<size_t>(o.users);  // this user's persons only
        if (k >= persons.size()) k = static_cast<size_t>(u);
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      errors += my_errors;
      if (first_error.empty()) first_error = my_error;
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) -> int64_t {
    if (latencies.empty()) return 0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  json out = {{"requests", latencies.size()},  // logins
              {"seconds", std::round(seconds * 1000) / 1000},
              {"rps", std::round(latencies.size() / seconds * 10) / 10},
              {"p50_us", pct(0.50)},
              {"p90_us", pct(0.90)},
              {"p99_us", pct(0.99)},
              {"max_us", latencies.empty() ? 0 : latencies.back()},
              {"errors", errors},
              {"first_error", first_error}};
  std::printf("BENCH %s\n", out.dump().c_str());
  return errors == 0 && !latencies.empty() ? 0 : 1;
}

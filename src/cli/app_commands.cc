#include "cli/app_commands.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/action_signature.h"
#include "app/device_proof.h"
#include "app/device_state.h"
#include "app/http_client.h"
#include "app/pin_derivation.h"
#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/key.h"
#include "crypto/random.h"

namespace idscheme::cli {
namespace {

using json = nlohmann::json;
using app::DeviceState;

constexpr std::chrono::milliseconds kTimeout{10000};

// Everything the commands' flags fill in; lives as long as the App.
struct Args {
  std::string server, state_file, pin, pin_cost, code, name = "idscheme app", action, sim_key, qr;
  int wait = 0;
  bool json = false;
  bool force = false;
};

int Fail(const Status& s) {
  std::cerr << "idscheme app: " << s.message() << "\n";
  return 1;
}

Result<approval::PinParams> PinCost(const std::string& name) {
  if (name.empty() || name == "production") return app::kDevicePinParams;
  if (name == "test") return app::kTestDevicePinParams;
  return Status::InvalidArgument("--pin-cost must be production or test");
}

std::string Time(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An error answer of the device API as a Status with its description.
Status ApiError(const app::HttpResult& r) {
  json body = json::parse(r.body, nullptr, false);
  std::string what = "HTTP " + std::to_string(r.status);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    what += " " + body["error"].get<std::string>();
    if (body.contains("error_description") && body["error_description"].is_string())
      what += ": " + body["error_description"].get<std::string>();
  }
  return Status::FailedPrecondition("the server refused: " + what);
}

// An enrolled device, opened with the PIN.
class Device {
 public:
  static Result<Device> Open(const Args& args) {
    Device d;
    IDS_ASSIGN_OR_RETURN(d.state_, app::LoadDeviceState(args.state_file));
    IDS_ASSIGN_OR_RETURN(d.base_,
                         app::ParseBaseUrl(args.server.empty() ? d.state_.server : args.server));
    if (args.pin.empty()) return Status::InvalidArgument("--pin (or IDSCHEME_APP_PIN) is needed");
    IDS_ASSIGN_OR_RETURN(d.pin_,
                         app::DerivePinKeys(args.pin, d.state_.device_salt, d.state_.pin_params));
    IDS_ASSIGN_OR_RETURN(d.key_, app::OpenDeviceKey(d.state_, d.pin_.wrap_key));
    return d;
  }

  // A call with a fresh device proof; the JSON answer, or the refusal as an error.
  Result<json> Call(const std::string& method, const std::string& path,
                    const std::optional<json>& body = std::nullopt,
                    std::chrono::milliseconds timeout = kTimeout) {
    const std::string url = base_.text + path.substr(0, path.find('?'));
    IDS_ASSIGN_OR_RETURN(
        std::string proof,
        app::MakeDeviceProof(*key_, state_.device_id, method, url,
                             SystemClock::Instance().NowSeconds(), crypto::SystemRandom()));
    IDS_ASSIGN_OR_RETURN(app::HttpResult r, app::HttpRequest(base_, method, path,
                                                             {{"Authorization", "Device " + proof}},
                                                             body ? body->dump() : "", timeout));
    if (r.status / 100 != 2) return ApiError(r);
    if (r.body.empty()) return json::object();
    json out = json::parse(r.body, nullptr, false);
    if (out.is_discarded()) return Status::Unavailable("the server's answer is not JSON");
    return out;
  }

  const DeviceState& state() const { return state_; }
  const crypto::Key& key() const { return *key_; }
  std::string pin_input() const { return Base64UrlEncode(pin_.pin_input); }

 private:
  DeviceState state_;
  app::BaseUrl base_;
  app::PinKeys pin_;
  crypto::KeyPtr key_;
};

void PrintAction(const json& a) {
  std::printf("%s  %s  requested by \"%s\"  (%s level)  %s, expires %s\n",
              a.value("id", "").c_str(), a.value("type", "").c_str(), a.value("member", "").c_str(),
              a.value("level", "").c_str(), a.value("state", "").c_str(),
              Time(a.value("expires_at", int64_t{0})).c_str());
  std::printf("  shows:  %s\n", a.contains("display") ? a["display"].dump().c_str() : "{}");
  if (a.contains("code_choices")) {
    std::string choices;
    for (const auto& c : a["code_choices"]) {
      if (!choices.empty()) choices += " | ";
      choices += c.get<std::string>();
    }
    std::printf("  pick the code the browser page shows:  %s   (approve --code CODE)\n",
                choices.c_str());
  } else if (a.contains("verification_code")) {
    std::printf("  verification code (check the browser page shows the same):  %s\n",
                a["verification_code"].get<std::string>().c_str());
  }
}

// What the person sees is what is signed: refuse an action whose shown fields differ from its
// digest input.
Status CheckShownIsSigned(const json& a) {
  const json& d = a["digest_input"];
  if (d.value("id", "") != a.value("id", "") || d.value("type", "") != a.value("type", "") ||
      d.value("member", "") != a.value("member", "") ||
      d.value("nonce", "") != a.value("nonce", "") ||
      d.value("level", "") != a.value("level", "") || !d.contains("display") ||
      d["display"] != a["display"] ||
      d.value("expires_at", int64_t{0}) != a.value("expires_at", int64_t{0}))
    return Status::FailedPrecondition("the action's digest does not match what it shows");
  return Status::Ok();
}

int Enroll(const Args& args) {
  if (args.server.empty()) return Fail(Status::InvalidArgument("enroll needs --server URL"));
  auto base = app::ParseBaseUrl(args.server);
  if (!base.ok()) return Fail(base.status());
  if (!args.force && std::ifstream(args.state_file)) {
    return Fail(Status::AlreadyExists(args.state_file +
                                      " exists: this device is enrolled (--force replaces it)"));
  }
  if (args.pin.size() < 4) return Fail(Status::InvalidArgument("--pin: at least 4 characters"));
  auto cost = PinCost(args.pin_cost);
  if (!cost.ok()) return Fail(cost.status());
  Random& random = crypto::SystemRandom();
  auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
  if (!key.ok()) return Fail(key.status());
  DeviceState state;
  state.server = base->text;
  state.pin_params = *cost;
  state.device_salt.resize(app::kDeviceSaltBytes);
  random.Fill(state.device_salt);
  auto pin = app::DerivePinKeys(args.pin, state.device_salt, state.pin_params);
  if (!pin.ok()) return Fail(pin.status());
  auto jwk = (*key)->ToJwk(false);
  if (!jwk.ok()) return Fail(jwk.status());
  state.public_jwk = *jwk;
  json body = {{"activation_code", args.code},
               {"public_jwk", *jwk},
               {"name", args.name},
               {"pin_input", Base64UrlEncode(pin->pin_input)}};
  auto r = app::HttpRequest(*base, "POST", "/app/v1/devices", {}, body.dump(), kTimeout);
  if (!r.ok()) return Fail(r.status());
  if (r->status != 201) return Fail(ApiError(*r));
  json answer = json::parse(r->body, nullptr, false);
  if (!answer.is_object() || !answer["device_id"].is_string())
    return Fail(Status::Unavailable("the server's answer has no device_id"));
  state.device_id = answer["device_id"].get<std::string>();
  Status s = app::SealDeviceKey(state, **key, pin->wrap_key, random);
  if (s.ok()) s = app::SaveDeviceState(args.state_file, state);
  if (!s.ok()) return Fail(s);
  if (args.json) {
    std::cout << answer.dump(2) << "\n";
  } else {
    std::cout << "enrolled as device " << state.device_id << " (\"" << args.name << "\") with "
              << state.server << "; state in " << args.state_file << "\n";
  }
  return 0;
}

int Pending(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  std::string path = "/app/v1/actions";
  if (args.wait > 0) path += "?wait=" + std::to_string(args.wait);
  auto r = d->Call("GET", path, std::nullopt, kTimeout + std::chrono::seconds(args.wait));
  if (!r.ok()) return Fail(r.status());
  if (args.json) {
    std::cout << (*r)["actions"].dump(2) << "\n";
    return 0;
  }
  if ((*r)["actions"].empty()) std::cout << "no pending actions\n";
  for (const auto& a : (*r)["actions"]) PrintAction(a);
  return 0;
}

int Show(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  auto r = d->Call("GET", "/app/v1/actions/" + args.action);
  if (!r.ok()) return Fail(r.status());
  if (args.json) {
    std::cout << r->dump(2) << "\n";
  } else {
    PrintAction(*r);
  }
  return 0;
}

// Whether `a` offers `code` to pick (number matching) or shows it (without).
bool OffersCode(const json& a, const std::string& code) {
  if (a.contains("code_choices")) {
    for (const auto& c : a["code_choices"])
      if (c == code) return true;
    return false;
  }
  return a.value("verification_code", "") == code;
}

// --action, or the single pending action. With several pending and a --code (approve), the
// newest that offers the code, as a phone shows the latest request first: a login started
// again after going back in the browser leaves the first one pending until it expires.
Result<json> TheAction(Device& d, const Args& args) {
  if (!args.action.empty()) return d.Call("GET", "/app/v1/actions/" + args.action);
  IDS_ASSIGN_OR_RETURN(json pending, d.Call("GET", "/app/v1/actions"));
  const json& list = pending["actions"];
  if (list.size() == 1) return list[0];
  if (list.empty()) return Status::NotFound("no pending action");
  if (!args.code.empty()) {
    // The list is oldest first.
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      if (!OffersCode(*it, args.code)) continue;
      std::cerr << list.size() << " actions are pending; the newest offering code " << args.code
                << " is " << (*it)["id"].get<std::string>() << " (name another with --action)\n";
      return *it;
    }
    return Status::InvalidArgument(std::to_string(list.size()) +
                                   " actions are pending and none offers --code " + args.code +
                                   ": check the code, or name one with --action ID");
  }
  return Status::InvalidArgument(std::to_string(list.size()) +
                                 " actions are pending: name one with --action ID");
}

// The server's answer to an approval or a refusal: the action as JSON, or one line.
int PrintDecision(const Args& args, const Result<json>& r, std::string_view verb) {
  if (!r.ok()) return Fail(r.status());
  if (args.json) {
    std::cout << r->dump(2) << "\n";
  } else {
    std::cout << verb << " " << (*r)["id"].get<std::string>() << "\n";
  }
  return 0;
}

int Approve(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  auto action = TheAction(*d, args);
  if (!action.ok()) return Fail(action.status());
  const json& a = *action;
  Status shown = CheckShownIsSigned(a);
  if (!shown.ok()) return Fail(shown);
  std::string code;
  if (a.contains("code_choices")) {
    if (args.code.empty()) {
      PrintAction(a);
      return Fail(Status::InvalidArgument(
          "number matching: pass --code with the code the browser page shows"));
    }
    bool offered = false;
    for (const auto& c : a["code_choices"]) offered = offered || c == args.code;
    if (!offered) {
      PrintAction(a);
      return Fail(Status::InvalidArgument("--code " + args.code + " is not one of the choices"));
    }
    code = args.code;
  } else {
    code = a.value("verification_code", "");
    if (!args.code.empty() && args.code != code)
      return Fail(Status::InvalidArgument("--code differs from the action's verification code"));
  }
  auto device_signature = app::SignActionDigest(d->key(), a, code);
  if (!device_signature.ok()) return Fail(device_signature.status());
  json body = {{"pin_input", d->pin_input()},
               {"verification_code", code},
               {"device_signature", *device_signature}};
  if (a.value("level", "") == "advanced") {
    if (args.sim_key.empty())
      return Fail(Status::InvalidArgument(
          "this action is at the advanced level: it needs the SIM's signature (--sim-key FILE)"));
    std::ifstream in(args.sim_key, std::ios::binary);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto sim = crypto::Key::FromPem(pem);
    if (!sim.ok()) return Fail(sim.status().WithContext("--sim-key"));
    auto sim_signature = app::SignActionDigest(**sim, a, code);
    if (!sim_signature.ok()) return Fail(sim_signature.status());
    body["sim_signature"] = *sim_signature;
  }
  return PrintDecision(
      args, d->Call("POST", "/app/v1/actions/" + a["id"].get<std::string>() + "/approve", body),
      "approved");
}

int Deny(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  auto action = TheAction(*d, args);
  if (!action.ok()) return Fail(action.status());
  return PrintDecision(
      args, d->Call("POST", "/app/v1/actions/" + (*action)["id"].get<std::string>() + "/deny"),
      "denied");
}

int Scan(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  auto r = d->Call("POST", "/app/v1/claim", json{{"qr", args.qr}});
  if (!r.ok()) return Fail(r.status());
  if (args.json) {
    std::cout << r->dump(2) << "\n";
  } else {
    PrintAction(*r);
  }
  return 0;
}

int Devices(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  auto r = d->Call("GET", "/app/v1/devices");
  if (!r.ok()) return Fail(r.status());
  if (args.json) {
    std::cout << (*r)["devices"].dump(2) << "\n";
    return 0;
  }
  for (const auto& dev : (*r)["devices"]) {
    std::printf("%s %-24s %-7s enrolled %s%s\n", dev.value("current", false) ? "*" : " ",
                dev.value("id", "").c_str(), dev.value("status", "").c_str(),
                Time(dev.value("created_at", int64_t{0}) / 1000).c_str(),
                ("  \"" + dev.value("name", "") + "\"").c_str());
  }
  return 0;
}

int Unenroll(const Args& args) {
  auto d = Device::Open(args);
  if (!d.ok()) return Fail(d.status());
  auto r = d->Call("DELETE", "/app/v1/devices/" + d->state().device_id);
  if (!r.ok()) return Fail(r.status());
  std::remove(args.state_file.c_str());
  std::cout << "device " << d->state().device_id << " removed; " << args.state_file << " deleted\n";
  return 0;
}

}  // namespace

void AddAppCommands(CLI::App& root, int& rc) {
  auto args = std::make_shared<Args>();
  auto* app = root.add_subcommand(
      "app", "The reference phone app: enrol a device, see and approve pending actions");
  app->footer(
      "The reference phone app, on the command line. It talks to a scheme's public device API\n"
      "(/app/v1) exactly as a phone app does, and keeps the device's state (its id and its\n"
      "private key, sealed under your PIN) in the --state file.\n\n"
      "Start with the one-time activation code an identity registrar gave you:\n"
      "  idscheme app --server http://127.0.0.1:8080 --state phone.json enroll --code CODE "
      "--pin 1234\n"
      "Then, when a website asks you to log in or share data:\n"
      "  idscheme app --state phone.json pending --wait 30 --pin 1234\n"
      "  idscheme app --state phone.json approve --code 42 --pin 1234   (the code the page "
      "shows)\n\n"
      "A wrong PIN does not open the sealed key, so this app refuses it itself and the scheme\n"
      "never sees it. The scheme counts the wrong PINs that do reach it (from an app that keeps\n"
      "its key otherwise): five in a row lock the device, and only a new activation code enrols\n"
      "it again.");
  app->require_subcommand(1);
  app->fallthrough();
  app->add_option("--server", args->server,
                  "the scheme's URL, e.g. http://127.0.0.1:8080 (needed to enroll; "
                  "plain http to a loopback address only for now)");
  app->add_option("--state", args->state_file, "the device state file (created by enroll, 0600)")
      ->required();
  app->add_option("--pin-cost", args->pin_cost,
                  "device-side Argon2id cost at enrolment: production (default) or test "
                  "(cheap; tests and demos only)")
      ->envname("IDSCHEME_APP_PIN_COST");
  auto pin = [&](CLI::App* cmd, bool required = true) {
    auto* o = cmd->add_option("--pin", args->pin, "your app PIN (or set IDSCHEME_APP_PIN)")
                  ->envname("IDSCHEME_APP_PIN");
    if (required) o->required();
  };
  auto json_flag = [&](CLI::App* cmd) { cmd->add_flag("--json", args->json, "print JSON"); };

  auto* enroll = app->add_subcommand("enroll", "Enrol this device with a one-time activation code");
  enroll->add_option("--code", args->code, "the activation code from your identity registrar")
      ->required();
  pin(enroll);
  enroll->add_option("--name", args->name, "a name for this device, e.g. \"Anna's phone\"");
  enroll->add_flag("--force", args->force, "replace an existing state file");
  json_flag(enroll);
  enroll->callback([&rc, args] { rc = Enroll(*args); });

  auto* pending = app->add_subcommand("pending", "List the actions waiting for your decision");
  pending->add_option("--wait", args->wait, "wait up to this many seconds for one (0-30)")
      ->check(CLI::Range(0, 30));
  pin(pending);
  json_flag(pending);
  pending->callback([&rc, args] { rc = Pending(*args); });

  auto* show = app->add_subcommand("show", "Show one action");
  show->add_option("ACTION", args->action, "the action id")->required();
  pin(show);
  json_flag(show);
  show->callback([&rc, args] { rc = Show(*args); });

  auto* approve = app->add_subcommand(
      "approve", "Approve an action (signs exactly what it shows with the device key)");
  approve->add_option("--action", args->action,
                      "the action id (default: the only pending one; with several, the newest "
                      "offering --code)");
  approve->add_option("--code", args->code,
                      "the verification code the browser page shows (one of the choices)");
  approve->add_option("--sim-key", args->sim_key,
                      "PEM file of the SIM's P-256 key (stands in for the SIM applet; "
                      "advanced level only)");
  pin(approve);
  json_flag(approve);
  approve->callback([&rc, args] { rc = Approve(*args); });

  auto* deny = app->add_subcommand("deny", "Refuse an action");
  deny->add_option("--action", args->action, "the action id (default: the only pending one)");
  pin(deny);
  json_flag(deny);
  deny->callback([&rc, args] { rc = Deny(*args); });

  auto* scan = app->add_subcommand(
      "scan", "Claim the action whose QR code the browser page shows (its text content)");
  scan->add_option("QR-CONTENT", args->qr, "the scanned text, idscheme:1:...")->required();
  pin(scan);
  json_flag(scan);
  scan->callback([&rc, args] { rc = Scan(*args); });

  auto* devices = app->add_subcommand("devices", "List your enrolled devices (* is this one)");
  pin(devices);
  json_flag(devices);
  devices->callback([&rc, args] { rc = Devices(*args); });

  auto* unenroll =
      app->add_subcommand("unenroll", "Remove this device from the scheme and delete its state");
  pin(unenroll);
  unenroll->callback([&rc, args] { rc = Unenroll(*args); });
}

}  // namespace idscheme::cli

// approval_load: puts people, devices and pending actions into a node's store through the
// engine's public API (identity::Identities, approval::Devices, approval::Actions), and pre-signs
// what their phone apps would send, for bench/approvals. It may run while `idscheme serve` uses
// the same store.
//
//   approval_load people  --db PATH --registrar MEMBER --count N --out FILE [--first K]
//       N identities (phone numbers +32470000000 + K + i) of registrar MEMBER, each with one
//       enrolled device (a fresh P-256 key, the production PIN verifier). FILE gets one line per
//       person: "<identity_id> <device_id> <private JWK>".
//   approval_load actions --db PATH --people FILE --per-person K --member MEMBER --client CLIENT
//                         [--approvals OUT --issuer URL]
//       K pending login actions per person, as the login pages create them (without the login
//       pages' limit per person). With --approvals,
//       OUT gets one pre-signed approval per action, as the app would send it:
//       "<path>\t<Authorization>\t<JSON body>" (a device proof with a fresh jti, iat now: good
//       for the proof leeway, 60 s).
//   approval_load polls   --people FILE --issuer URL --count N --out OUT
//       N device proofs for GET /app/v1/actions (the long poll), cycling through the people:
//       "<path>\t<Authorization>".
//
// Figures go to stderr. Thread-safety: single-threaded.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/device_proof.h"
#include "app/identity_adapters.h"
#include "approval/actions.h"
#include "approval/devices.h"
#include "common/base64url.h"
#include "common/clock.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "crypto/random.h"
#include "identity/identities.h"
#include "store/database.h"

namespace idscheme::approval {
namespace {

using json = nlohmann::json;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "approval_load: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Fail(what + ": " + s.ToString());
}

struct Args {
  std::string command;
  std::map<std::string, std::string> flags;

  std::string Get(const std::string& name) const {
    auto it = flags.find(name);
    if (it == flags.end()) Fail("missing --" + name);
    return it->second;
  }
  long Number(const std::string& name, long fallback = -1) const {
    auto it = flags.find(name);
    if (it == flags.end()) {
      if (fallback < 0) Fail("missing --" + name);
      return fallback;
    }
    return std::stol(it->second);
  }
  bool Has(const std::string& name) const { return flags.count(name) > 0; }
};

Args Parse(int argc, char** argv) {
  if (argc < 2) Fail("usage: approval_load people|actions|polls --flag value ...");
  Args a;
  a.command = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0) Fail("expected a --flag, got " + name);
    a.flags[name.substr(2)] = argv[i + 1];
  }
  return a;
}

std::unique_ptr<store::Database> OpenStore(const Args& args) {
  auto db = store::Database::Open(args.Get("db"), 2);
  Check(db.status(), "open the store");
  return std::move(db).value();
}

// What the app would send for its PIN: 32 bytes, here derived from the identity id.
std::string PinInputOf(const std::string& identity_id) {
  auto digest = crypto::Sha256(identity_id);
  return Base64UrlEncode(std::span<const uint8_t>(digest.data(), digest.size()));
}

struct Person {
  std::string identity_id;
  std::string device_id;
  crypto::KeyPtr key;
};

std::vector<Person> ReadPeople(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot read " + path);
  std::vector<Person> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Person p;
    std::string jwk;
    fields >> p.identity_id >> p.device_id >> jwk;
    auto key = crypto::Key::FromJwkText(jwk);
    Check(key.status(), "a device key in " + path);
    p.key = *key;
    out.push_back(std::move(p));
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

json SampleIdentity(const std::string& phone) {
  return {{"given_name", "Bench"},
          {"family_name", "Person"},
          {"birthdate", "1990-04-27"},
          {"nationalities", {"BE"}},
          {"address",
           {{"street_address", "Grote Markt 1"},
            {"locality", "Mechelen"},
            {"postal_code", "2800"},
            {"country", "BE"}}},
          {"phone_number", phone},
          {"evidence",
           {{"type", "document"},
            {"method", "pipp"},
            {"time", "2023-11-01T10:00:00Z"},
            {"document_details",
             {{"type", "idcard"},
              {"document_number", "592123456789"},
              {"issuer", {{"country", "BE"}}},
              {"date_of_issuance", "2021-03-01"},
              {"date_of_expiry", "2031-03-01"}}}}}};
}

int People(const Args& args) {
  auto db = OpenStore(args);
  const long count = args.Number("count");
  const long first = args.Number("first", 0);
  const std::string registrar = args.Get("registrar");
  Random& random = crypto::SystemRandom();
  const Clock& clock = SystemClock::Instance();
  identity::Identities identities(*db, clock, random);
  app::IdentityActivationRedeemer redeemer(identities);
  Devices devices(*db, clock, random, redeemer);  // the production PinParams{}
  const auto actor = identity::Actor::Registrar(registrar, "bench");
  std::ofstream out(args.Get("out"));
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    const std::string phone = "+3247" + std::to_string(10000000 + first + i);
    auto body = identity::ParseNewIdentity(SampleIdentity(phone));
    Check(body.status(), "identity body");
    auto person = identities.Create(actor, registrar, *body);
    Check(person.status(), "create identity " + phone);
    auto code = identities.IssueActivationCode(actor, person->id);
    Check(code.status(), "activation code");
    auto key = crypto::Key::Generate(crypto::KeyType::kEcP256);
    Check(key.status(), "device key");
    auto public_jwk = (*key)->ToJwk(false);
    auto private_jwk = (*key)->ToJwk(true);
    Check(private_jwk.status(), "device key");
    auto device = devices.Enrol({code->code, *public_jwk, "bench phone", PinInputOf(person->id)});
    Check(device.status(), "enrol");
    out << person->id << ' ' << device->id << ' ' << private_jwk->dump() << '\n';
  }
  std::fprintf(stderr, "approval_load: %ld people with a device in %.1f s\n", count,
               Seconds(start));
  return 0;
}

int MakeActions(const Args& args) {
  auto db = OpenStore(args);
  auto people = ReadPeople(args.Get("people"));
  const long per_person = args.Number("per-person");
  Random& random = crypto::SystemRandom();
  const Clock& clock = SystemClock::Instance();
  ActionOptions options;
  // The per-person limit protects people from push bombing through the login pages; the bench
  // gives its approvers more at once.
  options.max_pending_per_identity = 1 << 30;
  options.max_ttl_seconds = 600;
  Actions actions(*db, clock, random, nullptr, options);
  NewAction request;
  request.type = ActionType::kShareData;
  request.member_id = args.Get("member");
  request.member_display_name = "Bench Provider";
  request.client_id = args.Get("client");
  request.display = {{"claims", {"email"}}};
  request.ttl_seconds = 600;

  std::ofstream approvals;
  std::string issuer;
  if (args.Has("approvals")) {
    approvals.open(args.Get("approvals"));
    issuer = args.Get("issuer");
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<const Person*, Action>> made;
  for (long k = 0; k < per_person; ++k) {
    for (const Person& p : people) {
      request.identity_id = p.identity_id;
      auto action = actions.Create(request);
      Check(action.status(), "create action");
      if (approvals.is_open()) made.emplace_back(&p, std::move(action).value());
    }
  }
  std::fprintf(stderr, "approval_load: %ld pending actions in %.1f s\n",
               per_person * static_cast<long>(people.size()), Seconds(start));
  if (!approvals.is_open()) return 0;
  // Signed after they were all made, so the proofs' iat is as fresh as it can be.
  const auto signing = std::chrono::steady_clock::now();
  for (const auto& [p, action] : made) {
    // What the app does (docs/app-api.md, "Approving").
    auto digest = ActionDigest(action);
    Check(digest.status(), "digest");
    auto sig = crypto::SignBytes(crypto::SigAlg::kES256, *p->key, *digest);
    Check(sig.status(), "sign");
    const std::string path = "/app/v1/actions/" + action.id + "/approve";
    auto proof = app::MakeDeviceProof(*p->key, p->device_id, "POST", issuer + path,
                                      clock.NowSeconds(), random);
    Check(proof.status(), "device proof");
    json body = {{"pin_input", PinInputOf(p->identity_id)},
                 {"verification_code", action.verification_code},
                 {"device_signature", Base64UrlEncode(*sig)}};
    approvals << path << "\tDevice " << *proof << '\t' << body.dump() << '\n';
  }
  std::fprintf(stderr, "approval_load: %zu approvals signed in %.1f s\n", made.size(),
               Seconds(signing));
  return 0;
}

int Polls(const Args& args) {
  auto people = ReadPeople(args.Get("people"));
  if (people.empty()) Fail("no people");
  const long count = args.Number("count");
  const std::string issuer = args.Get("issuer");
  std::ofstream out(args.Get("out"));
  Random& random = crypto::SystemRandom();
  const std::string path = "/app/v1/actions";
  for (long i = 0; i < count; ++i) {
    const Person& p = people[static_cast<size_t>(i) % people.size()];
    auto proof = app::MakeDeviceProof(*p.key, p.device_id, "GET", issuer + path,
                                      SystemClock::Instance().NowSeconds(), random);
    Check(proof.status(), "device proof");
    out << path << "\tDevice " << *proof << '\n';
  }
  return 0;
}

}  // namespace
}  // namespace idscheme::approval

int main(int argc, char** argv) {
  using namespace idscheme::approval;
  Args args = Parse(argc, argv);
  if (args.command == "people") return People(args);
  if (args.command == "actions") return MakeActions(args);
  if (args.command == "polls") return Polls(args);
  Fail("unknown command " + args.command);
}

#include "cli/identity_commands.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "crypto/json.h"
#include "identity/identities.h"
#include "identity/person_devices.h"
#include "server/node.h"

namespace idscheme::cli {
namespace {

using identity::Actor;
using identity::Identities;
using json = nlohmann::json;

// Everything the commands' flags fill in; lives as long as the App (owned by its callbacks).
struct Args {
  std::string id, device_id, registrar, file, reason, status, phone, after;
  int limit = 100;
  // attributes
  std::string given_name, family_name, middle_name, birthdate, gender, email, national_id;
  std::vector<std::string> nationalities;
  std::string birth_country, birth_region, birth_locality;
  std::string street, locality, region, postal_code, country;
  // evidence
  std::string method = "pipp", verified_at, document_type, document_number, document_country,
              document_issued, document_expires;
};

// Runs `body` with the node's identities over the configured store.
template <typename Body>
int WithIdentities(const CommonFlags& flags, Body body, StoreUse use = StoreUse::kMayCreate) {
  auto node = OpenNode(flags, /*migrate=*/true, use);
  if (!node.ok()) return Fail(node.status());
  Status s = body((*node)->identities(), (*node)->clock());
  return s.ok() ? 0 : Fail(s);
}

// Runs `body` with the node's identities and the person devices they reach (issue 4).
template <typename Body>
int WithPersonDevices(const CommonFlags& flags, Body body, StoreUse use) {
  auto node = OpenNode(flags, /*migrate=*/true, use);
  if (!node.ok()) return Fail(node.status());
  Status s = body((*node)->identities(), (*node)->person_devices());
  return s.ok() ? 0 : Fail(s);
}

std::string Time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void PrintJson(const json& j) { std::cout << j.dump(2) << "\n"; }

void PrintIdentity(const identity::Identity& i, bool as_json) {
  if (as_json) return PrintJson(i.ToJson());
  json j = i.ToJson();
  std::printf("id            %s\n", i.id.c_str());
  std::printf("registrar     %s\n", i.registrar_id.c_str());
  std::printf("status        %s (version %lld)\n",
              std::string(identity::IdentityStatusName(i.status)).c_str(),
              static_cast<long long>(i.version));
  if (i.status == identity::IdentityStatus::kRevoked)
    std::printf("revoked       %s %s\n", Time(i.revoked_at_ms).c_str(),
                i.revocation_reason.c_str());
  std::printf("created       %s\n", Time(i.created_at_ms).c_str());
  std::printf("updated       %s\n", Time(i.updated_at_ms).c_str());
  std::printf("attributes (last verified)\n");
  for (const auto& [name, value] : j["attributes"].items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    std::printf("  %-20s %s  (%s)\n", name.c_str(), text.c_str(),
                j["verified_at"].value(name, "-").c_str());
  }
  std::printf("evidence\n%s\n", j["evidence"].dump(2).c_str());
}

void PrintCode(const identity::ActivationCode& c) {
  std::printf("activation code  %s\n", c.code.c_str());
  std::printf("                 (valid until %s, once; shown once: hand it to the person now)\n",
              Time(c.expires_at_ms).c_str());
}

// Sets j[key] = value when value is not empty.
void Put(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

// The POST /registrar/v1/identities body: --file first, then the flags on top.
Result<json> IdentityBody(const Args& a, const Clock& clock) {
  json body = json::object();
  if (!a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) return Status::InvalidArgument("--file: cannot read " + a.file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = crypto::ParseJsonStrict(text);
    if (!parsed.ok()) return parsed.status().WithContext("--file");
    if (!parsed->is_object()) return Status::InvalidArgument("--file: must hold a JSON object");
    body = *parsed;
  }
  Put(body, "given_name", a.given_name);
  Put(body, "family_name", a.family_name);
  Put(body, "middle_name", a.middle_name);
  Put(body, "birthdate", a.birthdate);
  Put(body, "gender", a.gender);
  Put(body, "phone_number", a.phone);
  Put(body, "email", a.email);
  Put(body, "national_id_number", a.national_id);
  if (!a.nationalities.empty()) body["nationalities"] = a.nationalities;
  if (!a.birth_country.empty() || !a.birth_region.empty() || !a.birth_locality.empty()) {
    json& p = body["place_of_birth"];
    if (!p.is_object()) p = json::object();
    Put(p, "country", a.birth_country);
    Put(p, "region", a.birth_region);
    Put(p, "locality", a.birth_locality);
  }
  if (!a.street.empty() || !a.locality.empty() || !a.region.empty() || !a.postal_code.empty() ||
      !a.country.empty()) {
    json& addr = body["address"];
    if (!addr.is_object()) addr = json::object();
    Put(addr, "street_address", a.street);
    Put(addr, "locality", a.locality);
    Put(addr, "region", a.region);
    Put(addr, "postal_code", a.postal_code);
    Put(addr, "country", a.country);
  }
  if (!a.document_type.empty() || !body.contains("evidence")) {
    json& e = body["evidence"];
    if (!e.is_object()) e = json::object();
    e["type"] = "document";
    if (!e.contains("method") || a.method != "pipp") e["method"] = a.method;
    if (!a.verified_at.empty()) {
      e["time"] = a.verified_at;
    } else if (!e.contains("time")) {
      e["time"] = Time(clock.NowMillis());  // checked at the desk, now
    }
    json& d = e["document_details"];
    if (!d.is_object()) d = json::object();
    Put(d, "type", a.document_type);
    Put(d, "document_number", a.document_number);
    if (!a.document_country.empty()) d["issuer"] = {{"country", a.document_country}};
    Put(d, "date_of_issuance", a.document_issued);
    Put(d, "date_of_expiry", a.document_expires);
  }
  return body;
}

// The members of the body a new identity cannot do without (identity/attributes.h:
// kRequiredAttributes, and the document evidence), by the flag that sets each.
struct RequiredMember {
  const char* flag;
  std::vector<const char*> path;
};
const RequiredMember kRequired[] = {
    {"--given-name", {"given_name"}},
    {"--family-name", {"family_name"}},
    {"--birthdate", {"birthdate"}},
    {"--phone", {"phone_number"}},
    {"--document-type", {"evidence", "document_details", "type"}},
    {"--document-number", {"evidence", "document_details", "document_number"}},
    {"--document-country", {"evidence", "document_details", "issuer", "country"}},
    {"--document-issued", {"evidence", "document_details", "date_of_issuance"}},
    {"--document-expires", {"evidence", "document_details", "date_of_expiry"}},
};

bool Has(const json& body, const std::vector<const char*>& path) {
  const json* at = &body;
  for (const char* name : path) {
    if (!at->is_object() || !at->contains(name)) return false;
    at = &(*at)[name];
  }
  return true;
}

// Every required member neither a flag nor --file gave, named by its flag, all at once: an
// operator at the desk should not learn them one attempt at a time, nor by their JSON paths.
Status CheckRequiredFlags(const json& body) {
  std::string missing;
  for (const auto& r : kRequired) {
    if (!Has(body, r.path)) missing += std::string(missing.empty() ? "" : ", ") + r.flag;
  }
  // A place of birth or an address is optional, but not without its country.
  if (body.contains("place_of_birth") && !Has(body, {"place_of_birth", "country"}))
    missing += std::string(missing.empty() ? "" : ", ") + "--birth-country";
  if (body.contains("address") && !Has(body, {"address", "country"}))
    missing += std::string(missing.empty() ? "" : ", ") + "--country";
  if (missing.empty()) return Status::Ok();
  return Status::InvalidArgument(missing + ": required (a flag, or the member in --file)");
}

CLI::App* Command(CLI::App* parent, const char* name, const char* description, CommonFlags& flags) {
  auto* cmd = parent->add_subcommand(name, description);
  flags.AddStoreFlags(cmd);
  flags.AddJsonFlag(cmd);
  return cmd;
}

void AddAttributeFlags(CLI::App* cmd, Args& a) {
  // Not CLI11's ->required(): --file may give the member instead of the flag.
  const std::string required = "; REQUIRED (or in --file)";
  cmd->add_option("--file", a.file,
                  "the identity as JSON (the body of POST /registrar/v1/identities); the flags "
                  "below override its members");
  cmd->add_option("--given-name", a.given_name, "given name(s)" + required);
  cmd->add_option("--family-name", a.family_name, "family name(s)" + required);
  cmd->add_option("--middle-name", a.middle_name, "middle name(s)");
  cmd->add_option("--birthdate", a.birthdate, "date of birth, YYYY-MM-DD" + required);
  cmd->add_option("--gender", a.gender, "female, male or other");
  cmd->add_option("--phone", a.phone, "mobile number, E.164 (e.g. +32470123456)" + required);
  cmd->add_option("--email", a.email, "e-mail address");
  cmd->add_option("--national-id", a.national_id, "national identification number");
  cmd->add_option("--nationality", a.nationalities, "ISO 3166-1 alpha-2 code (repeatable)");
  cmd->add_option("--birth-country", a.birth_country,
                  "country of birth, ISO 3166-1 alpha-2 (required with a place of birth)");
  cmd->add_option("--birth-region", a.birth_region, "region of birth");
  cmd->add_option("--birth-locality", a.birth_locality, "place of birth");
  cmd->add_option("--street", a.street, "address: street and number");
  cmd->add_option("--locality", a.locality, "address: city or town");
  cmd->add_option("--region", a.region, "address: region");
  cmd->add_option("--postal-code", a.postal_code, "address: postal code");
  cmd->add_option("--country", a.country,
                  "address: country, ISO 3166-1 alpha-2 (required with an address)");
  cmd->add_option("--document-type", a.document_type,
                  "evidence: idcard, passport, driving_permit or residence_permit" + required);
  cmd->add_option("--document-number", a.document_number,
                  "evidence: the document's number" + required);
  cmd->add_option("--document-country", a.document_country,
                  "evidence: issuing country, ISO 3166-1 alpha-2" + required);
  cmd->add_option("--document-issued", a.document_issued,
                  "evidence: date of issue, YYYY-MM-DD" + required);
  cmd->add_option("--document-expires", a.document_expires,
                  "evidence: date of expiry, YYYY-MM-DD" + required);
  cmd->add_option("--method", a.method,
                  "evidence: how it was checked: pipp (in person, default), sripp, eid, uripp");
  cmd->add_option("--verified-at", a.verified_at,
                  "evidence: when it was checked, RFC 3339 UTC (default: now)");
}

}  // namespace

void AddIdentityCommands(CLI::App& app, CommonFlags& flags, int& rc) {
  auto args = std::make_shared<Args>();
  Args& a = *args;
  auto* identity = app.add_subcommand(
      "identity", "Create, show, revoke identity records; activation codes; a person's devices");
  identity->require_subcommand(1);

  auto* add =
      Command(identity, "add",
              "Create an identity for a registrar; prints its id and an activation code", flags);
  add->add_option("--registrar", a.registrar, "the identity registrar member it belongs to")
      ->required();
  AddAttributeFlags(add, a);
  add->footer(
      "A new identity needs its given and family names, birthdate, phone number and the document "
      "checked: each from its flag, or from --file.");
  add->callback([&flags, &rc, args] {
    // The flags are checked before the store is opened: a usage error creates nothing.
    auto body = IdentityBody(*args, SystemClock::Instance());
    Status usable = body.ok() ? CheckRequiredFlags(*body) : body.status();
    if (!usable.ok()) {
      rc = Fail(usable);
      return;
    }
    rc = WithIdentities(flags, [&](Identities& ids, const Clock&) -> Status {
      IDS_ASSIGN_OR_RETURN(identity::NewIdentity request, identity::ParseNewIdentity(*body));
      IDS_ASSIGN_OR_RETURN(identity::Identity created,
                           ids.Create(Actor::Operator(), args->registrar, request));
      IDS_ASSIGN_OR_RETURN(identity::ActivationCode code,
                           ids.IssueActivationCode(Actor::Operator(), created.id));
      if (flags.json) {
        PrintJson({{"identity", created.ToJson()}, {"activation_code", code.ToJson()}});
      } else {
        std::printf("identity %s added for registrar %s\n", created.id.c_str(),
                    created.registrar_id.c_str());
        PrintCode(code);
      }
      return Status::Ok();
    });
  });

  auto* show = Command(identity, "show", "Show one identity record", flags);
  show->add_option("identity_id", a.id, "the identity")->required();
  show->callback([&flags, &rc, args] {
    rc = WithIdentities(
        flags,
        [&](Identities& ids, const Clock&) -> Status {
          IDS_ASSIGN_OR_RETURN(identity::Identity i, ids.Get(Actor::Operator(), args->id));
          PrintIdentity(i, flags.json);
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* list = Command(identity, "list", "List identity records, by id", flags);
  list->add_option("--registrar", a.registrar, "only this registrar's");
  list->add_option("--status", a.status, "only this status: active or revoked");
  list->add_option("--phone", a.phone, "only the one with this phone number");
  list->add_option("--after", a.after, "start after this identity id (paging)");
  list->add_option("--limit", a.limit, "at most this many (1..1000)");
  list->callback([&flags, &rc, args] {
    const Args& a = *args;
    rc = WithIdentities(
        flags,
        [&](Identities& ids, const Clock&) -> Status {
          identity::IdentityFilter f;
          if (!a.status.empty()) {
            f.status = identity::ParseIdentityStatus(a.status);
            if (!f.status) return Status::InvalidArgument("--status: must be active or revoked");
          }
          f.phone_number = a.phone;
          f.after = a.after;
          f.limit = a.limit;
          // The operator sees every registrar's, or one registrar's as that registrar would.
          Actor actor = Actor::Operator();
          if (!a.registrar.empty()) actor.registrar_id = a.registrar;
          IDS_ASSIGN_OR_RETURN(auto page, ids.ListPage(actor, f));
          const auto& found = page.items;
          if (flags.json) {
            json out = json::array();
            for (const auto& i : found) out.push_back(i.ToJson());
            PrintJson(out);
            return Status::Ok();
          }
          std::printf("%-36s %-18s %-8s %-16s %s\n", "ID", "REGISTRAR", "STATUS", "PHONE", "NAME");
          for (const auto& i : found)
            std::printf("%-36s %-18s %-8s %-16s %s %s\n", i.id.c_str(), i.registrar_id.c_str(),
                        std::string(identity::IdentityStatusName(i.status)).c_str(),
                        i.attributes.phone_number.value_or("").c_str(),
                        i.attributes.given_name.value_or("").c_str(),
                        i.attributes.family_name.value_or("").c_str());
          if (!page.next_after.empty())
            std::printf("(more: --after %s)\n", page.next_after.c_str());
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* revoke =
      Command(identity, "revoke",
              "Revoke an identity: its activation codes die, its number is freed", flags);
  revoke->add_option("identity_id", a.id, "the identity")->required();
  revoke->add_option("--reason", a.reason, "why (recorded in the audit log)");
  revoke->callback([&flags, &rc, args] {
    rc = WithIdentities(flags, [&](Identities& ids, const Clock&) -> Status {
      IDS_ASSIGN_OR_RETURN(identity::Identity i,
                           ids.Revoke(Actor::Operator(), args->id, args->reason));
      if (flags.json) {
        PrintJson(i.ToJson());
      } else {
        std::printf("identity %s is now revoked\n", i.id.c_str());
      }
      return Status::Ok();
    });
  });

  // Issue 4: the operator lists and revokes a person's devices, e.g. for a person who lost the
  // only phone, without revoking the whole identity.
  auto* devices = Command(identity, "devices",
                          "List a person's app devices (active and locked; not removed)", flags);
  devices->add_option("identity_id", a.id, "the identity")->required();
  devices->footer(
      "Shows each device's id, name, status (active, or locked after too many wrong PINs), the "
      "RFC 7638 thumbprint of its public key, and when it was enrolled, last changed and last "
      "used. Revoke one with `identity revoke-device`.");
  devices->callback([&flags, &rc, args] {
    rc = WithPersonDevices(
        flags,
        [&](Identities& ids, identity::PersonDevices& devs) -> Status {
          IDS_ASSIGN_OR_RETURN(auto found,
                               identity::ListPersonDevices(ids, devs, Actor::Operator(), args->id));
          if (flags.json) {
            json out = json::array();
            for (const auto& d : found) out.push_back(d.ToJson());
            PrintJson(out);
            return Status::Ok();
          }
          if (found.empty()) {
            std::printf("identity %s has no device enrolled\n", args->id.c_str());
            return Status::Ok();
          }
          std::printf("%-24s %-7s %-20s %-20s %-43s %s\n", "ID", "STATUS", "ENROLLED", "LAST USED",
                      "KEY THUMBPRINT", "NAME");
          for (const auto& d : found)
            std::printf("%-24s %-7s %-20s %-20s %-43s %s\n", d.id.c_str(), d.status.c_str(),
                        Time(d.created_at_ms).c_str(),
                        d.last_used_at_ms ? Time(*d.last_used_at_ms).c_str() : "-",
                        d.jwk_thumbprint.c_str(), d.name.c_str());
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* revoke_device =
      Command(identity, "revoke-device",
              "Revoke one of a person's app devices: it approves nothing more", flags);
  revoke_device->add_option("identity_id", a.id, "the identity")->required();
  revoke_device->add_option("device_id", a.device_id, "the device (see `identity devices`)")
      ->required();
  revoke_device->footer(
      "The device is removed as if the person removed it in the app: from that moment it "
      "approves nothing, not even a request it already fetched. The person's other devices and "
      "the identity stay as they are; a new phone needs a new activation code (`identity "
      "activation-code`). Audited with the actor \"operator\".");
  revoke_device->callback([&flags, &rc, args] {
    rc = WithPersonDevices(
        flags,
        [&](Identities& ids, identity::PersonDevices& devs) -> Status {
          IDS_RETURN_IF_ERROR(identity::RevokePersonDevice(ids, devs, Actor::Operator(), args->id,
                                                           args->device_id));
          if (flags.json) {
            PrintJson(
                {{"identity_id", args->id}, {"device_id", args->device_id}, {"status", "removed"}});
          } else {
            std::printf("device %s of identity %s is now revoked\n", args->device_id.c_str(),
                        args->id.c_str());
          }
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* code =
      Command(identity, "activation-code",
              "Issue a new one-time activation code (the earlier one stops working)", flags);
  code->add_option("identity_id", a.id, "the identity")->required();
  code->callback([&flags, &rc, args] {
    rc = WithIdentities(flags, [&](Identities& ids, const Clock&) -> Status {
      IDS_ASSIGN_OR_RETURN(identity::ActivationCode c,
                           ids.IssueActivationCode(Actor::Operator(), args->id));
      if (flags.json) {
        PrintJson(c.ToJson());
      } else {
        std::printf("identity %s\n", c.identity_id.c_str());
        PrintCode(c);
      }
      return Status::Ok();
    });
  });
}

}  // namespace idscheme::cli

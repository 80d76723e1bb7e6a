#include "cli/registry_commands.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/json.h"
#include "registry/registry.h"

namespace idscheme::cli {
namespace {

using json = nlohmann::json;
using registry::Registry;

constexpr const char* kActor = "operator";

// Everything the commands' flags fill in; lives as long as the App (owned by its callbacks).
struct Args {
  std::string id;  // the member or client a command is about
  // member
  std::string role, name, legal_id, email, phone, reseller, status, after, reason;
  int limit = 100;
  // agreement
  std::vector<std::string> services, claims, levels;
  std::string outside, terms_file;
  // client
  std::string metadata, metadata_file, auth_method, jwks_file, jwks_uri, scope, client_name;
  std::vector<std::string> redirect_uris, grant_types;
};

// Runs `body` with a registry over the configured store.
template <typename Body>
int WithRegistry(const CommonFlags& flags, Body body, StoreUse use = StoreUse::kMayCreate) {
  auto node = OpenNode(flags, /*migrate=*/true, use);
  if (!node.ok()) return Fail(node.status());
  // The node's registry: its status hooks (the approval engine's) run on every change, and it
  // fetches sector_identifier_uri documents with the node's HTTPS client (the oauth.jwks_*
  // settings of the loaded configuration), as a serving node does.
  Status s = body((*node)->registry());
  return s.ok() ? 0 : Fail(s);
}

std::string Time(int64_t ms) {
  if (ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void PrintJson(const json& j) { std::cout << j.dump(2) << "\n"; }

// Records (members, clients, agreements) as one JSON array, each by its ToJson().
template <typename Records>
void PrintJsonArray(const Records& records) {
  json out = json::array();
  for (const auto& r : records) out.push_back(r.ToJson());
  PrintJson(out);
}

void PrintMember(const registry::Member& m, bool as_json) {
  if (as_json) return PrintJson(m.ToJson());
  std::printf("id            %s\n", m.id.c_str());
  std::printf("role          %s\n", std::string(registry::RoleName(m.role)).c_str());
  std::printf("display name  %s\n", m.display_name.c_str());
  std::printf("legal id      %s\n", m.legal_id.c_str());
  if (!m.contacts.email.empty()) std::printf("email         %s\n", m.contacts.email.c_str());
  if (!m.contacts.phone.empty()) std::printf("phone         %s\n", m.contacts.phone.c_str());
  std::printf("status        %s (epoch %lld, since %s)\n",
              std::string(registry::MemberStatusName(m.status)).c_str(),
              static_cast<long long>(m.revocation_epoch), Time(m.status_changed_at_ms).c_str());
  if (!m.reseller_id.empty()) std::printf("reseller      %s\n", m.reseller_id.c_str());
  std::printf("created       %s\n", Time(m.created_at_ms).c_str());
  std::printf("updated       %s\n", Time(m.updated_at_ms).c_str());
}

void PrintTerms(const registry::AgreementTerms& t) {
  auto line = [](const char* label, const json& values) {
    std::string s;
    for (const auto& v : values) s += (s.empty() ? "" : ", ") + v.get<std::string>();
    std::printf("%-17s %s\n", label, s.empty() ? "(none)" : s.c_str());
  };
  json j = t.ToJson();
  line("services", j["services"]);
  line("claims", j["claims"]);
  line("assurance levels", j["assurance_levels"]);
  std::printf("%-17s %s\n", "claims outside", j["claims_outside"].get<std::string>().c_str());
}

// `effective`: what the client can do now (registry::EffectiveClientStatus), when known.
void PrintClient(const registry::ClientWithSecret& c, bool as_json,
                 const std::string& effective = "") {
  if (as_json) {
    json out = c.ToJson();
    if (!effective.empty()) out["effective_status"] = effective;
    return PrintJson(out);
  }
  const auto& cl = c.client;
  const std::string own(registry::ClientStatusName(cl.status));
  std::printf("client_id          %s\n", cl.client_id.c_str());
  std::printf("member             %s\n", cl.member_id.c_str());
  std::printf("status             %s (epoch %lld)%s\n", own.c_str(),
              static_cast<long long>(cl.revocation_epoch),
              effective.empty() || effective == own ? "" : ("; in effect: " + effective).c_str());
  std::printf("auth method        %s\n", cl.metadata.token_endpoint_auth_method.c_str());
  if (!cl.sector_identifier.empty())
    std::printf("sector identifier  %s\n", cl.sector_identifier.c_str());
  std::printf("created            %s\n", Time(cl.created_at_ms).c_str());
  if (!c.secret.empty()) {
    std::printf("client_secret      %s\n", c.secret.c_str());
    std::printf("                   (shown once: store it now; it cannot be shown again)\n");
  }
  std::printf("metadata\n%s\n", cl.metadata.ToJson().dump(2).c_str());
}

Result<std::string> ReadFile(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(std::string(flag) + ": cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<json> ParseJsonArg(const std::string& text, std::string_view flag) {
  auto j = crypto::ParseJsonStrict(text);
  if (!j.ok()) return j.status().WithContext(flag);
  return j;
}

// Client metadata from --metadata / --metadata-file, then the single-field flags on top.
Result<registry::ClientMetadata> MetadataFrom(const Args& a) {
  if (!a.metadata.empty() && !a.metadata_file.empty())
    return Status::InvalidArgument("give --metadata or --metadata-file, not both");
  json m = json::object();
  if (!a.metadata.empty()) {
    IDS_ASSIGN_OR_RETURN(m, ParseJsonArg(a.metadata, "--metadata"));
  } else if (!a.metadata_file.empty()) {
    IDS_ASSIGN_OR_RETURN(std::string text, ReadFile(a.metadata_file, "--metadata-file"));
    IDS_ASSIGN_OR_RETURN(m, ParseJsonArg(text, "--metadata-file"));
  }
  if (!m.is_object()) return Status::InvalidArgument("client metadata: must be a JSON object");
  if (!a.redirect_uris.empty()) m["redirect_uris"] = a.redirect_uris;
  if (!a.grant_types.empty()) m["grant_types"] = a.grant_types;
  if (!a.auth_method.empty()) m["token_endpoint_auth_method"] = a.auth_method;
  if (!a.jwks_uri.empty()) m["jwks_uri"] = a.jwks_uri;
  if (!a.scope.empty()) m["scope"] = a.scope;
  if (!a.client_name.empty()) m["client_name"] = a.client_name;
  if (!a.jwks_file.empty()) {
    IDS_ASSIGN_OR_RETURN(std::string text, ReadFile(a.jwks_file, "--jwks-file"));
    IDS_ASSIGN_OR_RETURN(m["jwks"], ParseJsonArg(text, "--jwks-file"));
  }
  return registry::ValidateClientMetadata(m);
}

// Agreement terms from --file, or from --services/--claims/--levels/--outside.
Result<registry::AgreementTerms> TermsFrom(const Args& a) {
  if (!a.terms_file.empty()) {
    if (!a.services.empty() || !a.claims.empty() || !a.levels.empty() || !a.outside.empty())
      return Status::InvalidArgument("give --file or the term flags, not both");
    IDS_ASSIGN_OR_RETURN(std::string text, ReadFile(a.terms_file, "--file"));
    IDS_ASSIGN_OR_RETURN(json j, ParseJsonArg(text, "--file"));
    return registry::ParseAgreementTerms(j);
  }
  if (a.services.empty()) return Status::InvalidArgument("--services: required (or --file)");
  if (a.levels.empty()) return Status::InvalidArgument("--levels: required (or --file)");
  if (a.outside.empty()) return Status::InvalidArgument("--outside: required: refuse or drop");
  return registry::ParseAgreementTerms({{"services", a.services},
                                        {"claims", a.claims},
                                        {"assurance_levels", a.levels},
                                        {"claims_outside", a.outside}});
}

// A command: its one-line description, the store and --json flags, and what it runs.
CLI::App* Command(CLI::App* parent, const char* name, const char* description, CommonFlags& flags) {
  auto* cmd = parent->add_subcommand(name, description);
  flags.AddStoreFlags(cmd);
  flags.AddJsonFlag(cmd);
  return cmd;
}

void AddMemberCommands(CLI::App& app, CommonFlags& flags, int& rc,
                       const std::shared_ptr<Args>& args) {
  Args& a = *args;
  auto* member = app.add_subcommand("member", "Admit, list, suspend and terminate scheme members");
  member->require_subcommand(1);

  auto* add = Command(member, "add", "Admit a member (active at once); prints its id", flags);
  add->add_option("--role", a.role,
                  "scheme_manager, identity_registrar, sim_controller, service_provider or "
                  "value_added_reseller")
      ->required();
  add->add_option("--name", a.name, "verified display name, shown to people in the app")
      ->required();
  add->add_option("--legal-id", a.legal_id, "LEI:<20 characters> or a company number")->required();
  add->add_option("--email", a.email, "contact e-mail address");
  add->add_option("--phone", a.phone, "contact phone number (E.164, e.g. +3225551234)");
  add->add_option("--reseller", a.reseller,
                  "member id of the value added reseller that brought "
                  "this service provider in");
  add->callback([&flags, &rc, args] {
    const Args& a = *args;
    rc = WithRegistry(flags, [&](Registry& reg) -> Status {
      auto role = registry::ParseRole(a.role);
      if (!role) return Status::InvalidArgument("--role: unknown role '" + a.role + "'");
      registry::NewMember m{*role, a.name, a.legal_id, {a.email, a.phone}, a.reseller};
      IDS_ASSIGN_OR_RETURN(registry::Member created, reg.members().Create(m, kActor));
      if (flags.json) {
        PrintJson(created.ToJson());
      } else {
        std::printf("member %s added: %s, %s\n", created.id.c_str(), created.display_name.c_str(),
                    std::string(registry::RoleName(created.role)).c_str());
      }
      return Status::Ok();
    });
  });

  auto* list = Command(member, "list", "List members, by id, with optional filters", flags);
  list->add_option("--role", a.role, "only this role");
  list->add_option("--status", a.status, "only this status: active, suspended or terminated");
  list->add_option("--reseller", a.reseller, "only the customers of this reseller");
  list->add_option("--after", a.after, "start after this member id (paging)");
  list->add_option("--limit", a.limit, "at most this many (1..1000)");
  list->callback([&flags, &rc, args] {
    const Args& a = *args;
    rc = WithRegistry(
        flags,
        [&](Registry& reg) -> Status {
          registry::MemberFilter f;
          if (!a.role.empty()) {
            f.role = registry::ParseRole(a.role);
            if (!f.role) return Status::InvalidArgument("--role: unknown role '" + a.role + "'");
          }
          if (!a.status.empty()) {
            f.status = registry::ParseMemberStatus(a.status);
            if (!f.status)
              return Status::InvalidArgument("--status: must be active, suspended or terminated");
          }
          f.reseller_id = a.reseller;
          f.after = a.after;
          f.limit = a.limit;
          IDS_ASSIGN_OR_RETURN(auto page, reg.members().ListPage(f));
          const auto& members = page.items;
          if (flags.json) {
            PrintJsonArray(members);
            return Status::Ok();
          }
          std::printf("%-18s %-20s %-10s %s\n", "ID", "ROLE", "STATUS", "DISPLAY NAME");
          for (const auto& m : members)
            std::printf("%-18s %-20s %-10s %s\n", m.id.c_str(),
                        std::string(registry::RoleName(m.role)).c_str(),
                        std::string(registry::MemberStatusName(m.status)).c_str(),
                        m.display_name.c_str());
          if (!page.next_after.empty())
            std::printf("(more: --after %s)\n", page.next_after.c_str());
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* show = Command(member, "show", "Show one member", flags);
  show->add_option("member_id", a.id, "the member")->required();
  show->callback([&flags, &rc, args] {
    rc = WithRegistry(
        flags,
        [&](Registry& reg) -> Status {
          IDS_ASSIGN_OR_RETURN(registry::Member m, reg.members().Get(args->id));
          PrintMember(m, flags.json);
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* update = Command(member, "update", "Change a member's display name or contacts", flags);
  update->add_option("member_id", a.id, "the member")->required();
  update->add_option("--name", a.name, "new verified display name");
  update->add_option("--email", a.email, "new contact e-mail address (\"\" removes it)");
  update->add_option("--phone", a.phone, "new contact phone number (\"\" removes it)");
  update->callback([&flags, &rc, args, update] {
    const Args& a = *args;
    rc = WithRegistry(flags, [&](Registry& reg) -> Status {
      IDS_ASSIGN_OR_RETURN(registry::Member m, reg.members().Get(a.id));
      registry::MemberUpdate u;
      if (update->count("--name")) u.display_name = a.name;
      if (update->count("--email") || update->count("--phone")) {
        u.contacts = m.contacts;
        if (update->count("--email")) u.contacts->email = a.email;
        if (update->count("--phone")) u.contacts->phone = a.phone;
      }
      if (!u.display_name && !u.contacts)
        return Status::InvalidArgument("nothing to update: give --name, --email or --phone");
      IDS_ASSIGN_OR_RETURN(registry::Member changed, reg.members().Update(a.id, u, kActor));
      PrintMember(changed, flags.json);
      return Status::Ok();
    });
  });

  using Change = Result<registry::Member> (registry::Members::*)(std::string_view, std::string_view,
                                                                 std::string_view);
  struct Transition {
    const char* name;
    const char* description;
    Change change;
  };
  for (const Transition& t :
       {Transition{"suspend", "Suspend a member: its clients and tokens stop working at once",
                   &registry::Members::Suspend},
        Transition{"reinstate", "Reinstate a suspended member (its old tokens stay dead)",
                   &registry::Members::Reinstate},
        Transition{"terminate", "Terminate a member for good (no way back)",
                   &registry::Members::Terminate}}) {
    auto* cmd = Command(member, t.name, t.description, flags);
    cmd->add_option("member_id", a.id, "the member")->required();
    cmd->add_option("--reason", a.reason, "why (recorded in the audit log)");
    cmd->callback([&flags, &rc, args, t] {
      rc = WithRegistry(flags, [&](Registry& reg) -> Status {
        IDS_ASSIGN_OR_RETURN(registry::Member m,
                             (reg.members().*t.change)(args->id, kActor, args->reason));
        if (flags.json) {
          PrintJson(m.ToJson());
        } else {
          std::printf("member %s is now %s (revocation epoch %lld)\n", m.id.c_str(),
                      std::string(registry::MemberStatusName(m.status)).c_str(),
                      static_cast<long long>(m.revocation_epoch));
        }
        return Status::Ok();
      });
    });
  }
}

void AddAgreementCommands(CLI::App& app, CommonFlags& flags, int& rc,
                          const std::shared_ptr<Args>& args) {
  Args& a = *args;
  auto* agreement =
      app.add_subcommand("agreement", "Show and set members' agreements (versioned, kept whole)");
  agreement->require_subcommand(1);

  auto* show = Command(agreement, "show",
                       "Show a member's current agreement and the terms it works under", flags);
  show->add_option("member_id", a.id, "the member")->required();
  show->callback([&flags, &rc, args] {
    rc = WithRegistry(
        flags,
        [&](Registry& reg) -> Status {
          IDS_ASSIGN_OR_RETURN(registry::Agreement current, reg.agreements().Current(args->id));
          IDS_ASSIGN_OR_RETURN(registry::AgreementTerms effective,
                               reg.agreements().Effective(args->id));
          if (flags.json) {
            json out = current.ToJson();
            out["effective"] = effective.ToJson();
            PrintJson(out);
            return Status::Ok();
          }
          std::printf("member %s, agreement version %lld, set %s by %s\n",
                      current.member_id.c_str(), static_cast<long long>(current.version),
                      Time(current.created_at_ms).c_str(), current.created_by.c_str());
          PrintTerms(current.terms);
          if (!(effective == current.terms)) {
            std::printf("effective (within its reseller's agreement):\n");
            PrintTerms(effective);
          }
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* set = Command(agreement, "set", "Set a new version of a member's agreement", flags);
  set->add_option("member_id", a.id, "the member")->required();
  set->add_option("--services", a.services,
                  "services, comma-separated: identification, login, confirmation, sign")
      ->delimiter(',');
  set->add_option("--claims", a.claims, "claims it may receive, comma-separated")->delimiter(',');
  set->add_option("--levels", a.levels, "assurance levels, comma-separated: basic, advanced")
      ->delimiter(',');
  set->add_option("--outside", a.outside,
                  "claims outside the agreement: refuse (the request fails) or drop");
  set->add_option("--file", a.terms_file,
                  "the terms as JSON: {services, claims, assurance_levels, claims_outside}");
  set->callback([&flags, &rc, args] {
    rc = WithRegistry(flags, [&](Registry& reg) -> Status {
      IDS_ASSIGN_OR_RETURN(registry::AgreementTerms terms, TermsFrom(*args));
      IDS_ASSIGN_OR_RETURN(registry::Agreement a, reg.agreements().Set(args->id, terms, kActor));
      if (flags.json) {
        PrintJson(a.ToJson());
      } else {
        std::printf("member %s: agreement version %lld is now current\n", a.member_id.c_str(),
                    static_cast<long long>(a.version));
      }
      return Status::Ok();
    });
  });

  auto* history =
      Command(agreement, "history", "List every version of a member's agreement", flags);
  history->add_option("member_id", a.id, "the member")->required();
  history->callback([&flags, &rc, args] {
    rc = WithRegistry(
        flags,
        [&](Registry& reg) -> Status {
          IDS_RETURN_IF_ERROR(reg.members().Get(args->id).status());
          IDS_ASSIGN_OR_RETURN(auto versions, reg.agreements().History(args->id));
          if (flags.json) {
            PrintJsonArray(versions);
            return Status::Ok();
          }
          for (const auto& v : versions) {
            std::printf("version %lld, set %s by %s\n", static_cast<long long>(v.version),
                        Time(v.created_at_ms).c_str(), v.created_by.c_str());
            PrintTerms(v.terms);
          }
          if (versions.empty()) std::printf("member %s has no agreement\n", args->id.c_str());
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });
}

void AddMetadataFlags(CLI::App* cmd, Args& a) {
  cmd->add_option("--metadata", a.metadata,
                  "client metadata as JSON (OIDC Dynamic Client Registration names)");
  cmd->add_option("--metadata-file", a.metadata_file, "client metadata from a JSON file");
  cmd->add_option("--redirect-uri", a.redirect_uris, "a redirect URI (repeatable)");
  cmd->add_option("--grant-type", a.grant_types, "a grant type (repeatable)");
  cmd->add_option("--auth-method", a.auth_method,
                  "private_key_jwt (default), client_secret_basic or client_secret_post");
  cmd->add_option("--jwks-file", a.jwks_file, "the client's public keys, a JWK Set file");
  cmd->add_option("--jwks-uri", a.jwks_uri, "where the client publishes its keys (https)");
  cmd->add_option("--scope", a.scope, "scope values it may ask for, space-separated");
  cmd->add_option("--name", a.client_name, "client name, for operators");
}

void AddClientCommands(CLI::App& app, CommonFlags& flags, int& rc,
                       const std::shared_ptr<Args>& args) {
  Args& a = *args;
  auto* client = app.add_subcommand("client", "Register and manage members' OIDC clients");
  client->require_subcommand(1);

  auto* add =
      Command(client, "add",
              "Register a client for a member; prints its client_id (and secret, once)", flags);
  add->add_option("member_id", a.id, "the member it belongs to")->required();
  AddMetadataFlags(add, a);
  add->callback([&flags, &rc, args] {
    rc = WithRegistry(flags, [&](Registry& reg) -> Status {
      IDS_ASSIGN_OR_RETURN(registry::ClientMetadata m, MetadataFrom(*args));
      IDS_ASSIGN_OR_RETURN(registry::ClientWithSecret c,
                           reg.clients().Create(args->id, m, kActor, kActor));
      if (flags.json) {
        PrintJson(c.ToJson());
      } else {
        std::printf("client_id      %s\n", c.client.client_id.c_str());
        if (!c.secret.empty()) {
          std::printf("client_secret  %s\n", c.secret.c_str());
          std::printf("               (shown once: store it now; it cannot be shown again)\n");
        }
      }
      return Status::Ok();
    });
  });

  auto* list = Command(client, "list", "List a member's clients", flags);
  list->add_option("member_id", a.id, "the member")->required();
  list->callback([&flags, &rc, args] {
    rc = WithRegistry(
        flags,
        [&](Registry& reg) -> Status {
          IDS_RETURN_IF_ERROR(reg.members().Get(args->id).status());
          IDS_ASSIGN_OR_RETURN(auto clients, reg.clients().ListByMember(args->id));
          // The status in effect: a client of a suspended member is not active, whatever its own.
          std::vector<std::string> effective;
          for (const auto& c : clients) {
            IDS_ASSIGN_OR_RETURN(std::string e, reg.EffectiveStatusOf(c));
            effective.push_back(std::move(e));
          }
          if (flags.json) {
            json out = json::array();
            for (size_t i = 0; i < clients.size(); ++i) {
              out.push_back(clients[i].ToJson());
              out.back()["effective_status"] = effective[i];
            }
            PrintJson(out);
            return Status::Ok();
          }
          std::printf("%-28s %-19s %-20s %s\n", "CLIENT_ID", "STATUS", "AUTH METHOD", "NAME");
          for (size_t i = 0; i < clients.size(); ++i)
            std::printf("%-28s %-19s %-20s %s\n", clients[i].client_id.c_str(),
                        effective[i].c_str(),
                        clients[i].metadata.token_endpoint_auth_method.c_str(),
                        clients[i].metadata.client_name.c_str());
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* show = Command(client, "show", "Show one client's registration (never its secret)", flags);
  show->add_option("client_id", a.id, "the client")->required();
  show->callback([&flags, &rc, args] {
    rc = WithRegistry(
        flags,
        [&](Registry& reg) -> Status {
          IDS_ASSIGN_OR_RETURN(registry::Client c, reg.clients().Get(args->id));
          IDS_ASSIGN_OR_RETURN(std::string effective, reg.EffectiveStatusOf(c));
          PrintClient({c, ""}, flags.json, effective);
          return Status::Ok();
        },
        StoreUse::kMustExist);
  });

  auto* update =
      Command(client, "update", "Replace a client's metadata (all of it, as with add)", flags);
  update->add_option("client_id", a.id, "the client")->required();
  AddMetadataFlags(update, a);
  update->callback([&flags, &rc, args] {
    rc = WithRegistry(flags, [&](Registry& reg) -> Status {
      IDS_ASSIGN_OR_RETURN(registry::ClientMetadata m, MetadataFrom(*args));
      IDS_ASSIGN_OR_RETURN(registry::ClientWithSecret c, reg.clients().Update(args->id, m, kActor));
      PrintClient(c, flags.json);
      return Status::Ok();
    });
  });

  using Change = Result<registry::Client> (registry::Clients::*)(std::string_view, std::string_view,
                                                                 std::string_view);
  struct Transition {
    const char* name;
    const char* description;
    Change change;
  };
  for (const Transition& t :
       {Transition{"suspend", "Suspend a client: it and its tokens stop working at once",
                   &registry::Clients::Suspend},
        Transition{"reinstate", "Reinstate a suspended client", &registry::Clients::Reinstate},
        Transition{"delete", "Deactivate a client for good (no way back)",
                   &registry::Clients::Delete}}) {
    auto* cmd = Command(client, t.name, t.description, flags);
    cmd->add_option("client_id", a.id, "the client")->required();
    cmd->add_option("--reason", a.reason, "why (recorded in the audit log)");
    cmd->callback([&flags, &rc, args, t] {
      rc = WithRegistry(flags, [&](Registry& reg) -> Status {
        IDS_ASSIGN_OR_RETURN(registry::Client c,
                             (reg.clients().*t.change)(args->id, kActor, args->reason));
        if (flags.json) {
          PrintJson(c.ToJson());
        } else {
          std::printf("client %s is now %s\n", c.client_id.c_str(),
                      std::string(registry::ClientStatusName(c.status)).c_str());
        }
        return Status::Ok();
      });
    });
  }

  auto* rotate =
      Command(client, "rotate-secret",
              "Give a client a new secret (printed once); the old one stops at once", flags);
  rotate->add_option("client_id", a.id, "the client")->required();
  rotate->callback([&flags, &rc, args] {
    rc = WithRegistry(flags, [&](Registry& reg) -> Status {
      IDS_ASSIGN_OR_RETURN(registry::ClientWithSecret c,
                           reg.clients().RotateSecret(args->id, kActor));
      if (flags.json) {
        PrintJson({{"client_id", c.client.client_id}, {"client_secret", c.secret}});
      } else {
        std::printf("client_id      %s\n", c.client.client_id.c_str());
        std::printf("client_secret  %s\n", c.secret.c_str());
        std::printf("               (shown once: store it now; it cannot be shown again)\n");
      }
      return Status::Ok();
    });
  });
}

}  // namespace

void AddRegistryCommands(CLI::App& app, CommonFlags& flags, int& rc) {
  auto args = std::make_shared<Args>();
  AddMemberCommands(app, flags, rc, args);
  AddAgreementCommands(app, flags, rc, args);
  AddClientCommands(app, flags, rc, args);
}

}  // namespace idscheme::cli

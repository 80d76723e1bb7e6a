#include "cli/demo_seed.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace idscheme::cli {
namespace {

using json = nlohmann::json;
constexpr char kActor[] = "operator";
constexpr char kFile[] = "demo-credentials.json";

struct DemoMember {
  registry::Role role;
  const char* display_name;
  const char* legal_id;
  const char* email;
};

constexpr DemoMember kMembers[] = {
    {registry::Role::kSchemeManager, "Demo Scheme Operator", "NL-KVK-00000001",
     "operator@scheme.example"},
    {registry::Role::kIdentityRegistrar, "Demo Registration Office", "NL-KVK-00000002",
     "desk@registrar.example"},
    {registry::Role::kSimController, "Demo Telecom", "NL-KVK-00000003", "sim@telecom.example"},
    {registry::Role::kServiceProvider, "Demo Web Shop", "NL-KVK-00000004", "it@shop.example"},
};

Result<json> ReadSeeded(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return Status::FailedPrecondition("the demo store has members but no " + std::string(kFile) +
                                      ": it was not seeded by the demo; use a new data directory "
                                      "(--data) or the member commands");
  std::stringstream text;
  text << in.rdbuf();
  json seeded = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!seeded.is_array()) return Status::FailedPrecondition(file.string() + ": not a JSON array");
  return seeded;
}

Status WriteSeeded(const std::filesystem::path& file, const json& seeded) {
  const std::string tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::Internal("cannot write " + tmp);
    ::chmod(tmp.c_str(), 0600);
    out << seeded.dump(2) << "\n";
    if (!out.flush()) return Status::Internal("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Status::Internal("cannot write " + file.string() + ": " + ec.message());
  return Status::Ok();
}

Result<json> ClientMetadataFor(registry::Role role, const std::string& issuer) {
  json m = {{"token_endpoint_auth_method", "client_secret_basic"},
            {"client_name", "demo " + std::string(registry::RoleName(role))}};
  if (role == registry::Role::kServiceProvider) {
    // A web shop that logs people in: its redirect URI is on this demo host.
    m["grant_types"] = {"authorization_code", "client_credentials"};
    m["redirect_uris"] = {issuer + "/demo/callback"};
    m["scope"] = "openid profile email phone address";
  } else {
    m["grant_types"] = {"client_credentials"};
    m["response_types"] = json::array();
  }
  return m;
}

}  // namespace

Result<json> SeedDemo(registry::Registry& registry, identity::Identities& identities,
                      const std::string& data_dir, const std::string& issuer) {
  const std::filesystem::path file = std::filesystem::path(data_dir) / kFile;
  IDS_ASSIGN_OR_RETURN(auto existing, registry.members().List(registry::MemberFilter{}));
  if (!existing.empty()) return ReadSeeded(file);

  json seeded = json::array();
  for (const DemoMember& d : kMembers) {
    registry::NewMember nm{d.role, d.display_name, d.legal_id, {d.email, ""}, ""};
    IDS_ASSIGN_OR_RETURN(registry::Member member, registry.members().Create(nm, kActor));
    if (d.role == registry::Role::kServiceProvider) {
      IDS_ASSIGN_OR_RETURN(
          registry::AgreementTerms terms,
          registry::ParseAgreementTerms(
              {{"services", {"identification", "login"}},
               {"claims",
                {"name", "given_name", "family_name", "birthdate", "email", "email_verified",
                 "phone_number", "nationalities"}},
               {"assurance_levels", {"basic", "advanced"}},
               // A shop asking for `profile` gets the part of it the agreement allows.
               {"claims_outside", "drop"}}));
      IDS_RETURN_IF_ERROR(registry.agreements().Set(member.id, terms, kActor).status());
    }
    IDS_ASSIGN_OR_RETURN(json request, ClientMetadataFor(d.role, issuer));
    IDS_ASSIGN_OR_RETURN(registry::ClientMetadata metadata,
                         registry::ValidateClientMetadata(request));
    IDS_ASSIGN_OR_RETURN(registry::ClientWithSecret client,
                         registry.clients().Create(member.id, metadata, kActor, kActor));
    seeded.push_back({{"role", registry::RoleName(d.role)},
                      {"member_id", member.id},
                      {"display_name", d.display_name},
                      {"client_id", client.client.client_id},
                      {"client_secret", client.secret}});
  }
  // A person the registration office checked in person, with a passport, so the shop's login
  // and data sharing can be tried at once.
  std::string registrar_id;
  for (const auto& m : seeded) {
    if (m["role"] == registry::RoleName(registry::Role::kIdentityRegistrar))
      registrar_id = m["member_id"].get<std::string>();
  }
  IDS_ASSIGN_OR_RETURN(identity::NewIdentity person,
                       identity::ParseNewIdentity({{"given_name", "Anna"},
                                                   {"family_name", "de Vries"},
                                                   {"birthdate", "1990-04-01"},
                                                   {"email", "anna@example.nl"},
                                                   {"phone_number", kDemoPersonPhone},
                                                   {"nationalities", {"NL"}},
                                                   {"evidence",
                                                    {{"type", "document"},
                                                     {"method", "pipp"},
                                                     {"time", "2026-01-15T10:00:00Z"},
                                                     {"document_details",
                                                      {{"type", "passport"},
                                                       {"document_number", "NXC1234567"},
                                                       {"issuer", {{"country", "NL"}}},
                                                       {"date_of_issuance", "2022-01-10"},
                                                       {"date_of_expiry", "2032-01-09"}}}}}}));
  IDS_ASSIGN_OR_RETURN(identity::Identity created,
                       identities.Create(identity::Actor::Operator(), registrar_id, person));
  seeded.push_back({{"role", "person"},
                    {"identity_id", created.id},
                    {"display_name", "Anna de Vries"},
                    {"phone_number", kDemoPersonPhone}});
  IDS_RETURN_IF_ERROR(WriteSeeded(file, seeded));
  return seeded;
}

}  // namespace idscheme::cli

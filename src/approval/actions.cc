#include "approval/actions.h"

#include <algorithm>
#include <utility>

#include "approval/devices.h"
#include "approval/jcs.h"
#include "audit/audit_log.h"
#include "common/base64url.h"
#include "common/hex.h"
#include "crypto/json.h"
#include "crypto/jws.h"

namespace idscheme::approval {
namespace {

using store::Int;
using store::Null;
using store::Text;

constexpr std::string_view kActionColumns =
    "id, type, member_id, member_display_name, client_id, identity_id, level, display,"
    " verification_code, code_choices, nonce, created_at, expires_at, state, decided_at,"
    " decided_by";

Result<Action> ActionFromRow(const store::Row& row) {
  Action a;
  a.id = row.Text(0);
  auto type = ParseActionType(row.Text(1));
  auto level = ParseAssuranceLevel(row.Text(6));
  auto state = ParseActionState(row.Text(13));
  if (!type || !level || !state) return Status::Internal("approval_actions: unknown enum value");
  a.type = *type;
  a.member_id = row.Text(2);
  a.member_display_name = row.Text(3);
  a.client_id = row.Text(4);
  if (!row.IsNull(5)) a.identity_id = row.Text(5);
  a.level = *level;
  IDS_ASSIGN_OR_RETURN(a.display, crypto::ParseJsonObjectStrict(row.Text(7)));
  a.verification_code = row.Text(8);
  IDS_ASSIGN_OR_RETURN(auto choices, crypto::ParseJsonStrict(row.Text(9)));
  if (!choices.is_array()) return Status::Internal("approval_actions: code_choices");
  for (const auto& c : choices) {
    if (!c.is_string()) return Status::Internal("approval_actions: code_choices");
    a.code_choices.push_back(c.get<std::string>());
  }
  a.nonce = row.Text(10);
  a.created_at_ms = row.Int(11);
  a.expires_at = row.Int(12);
  a.state = *state;
  if (!row.IsNull(14)) a.decided_at_ms = row.Int(14);
  a.decided_by = row.Text(15);
  return a;
}

// `display_text`, when given, receives the stored RFC 8785 text of `display`.
Result<std::optional<Action>> LoadAction(store::Executor& db, std::string_view id,
                                         std::string* display_text = nullptr) {
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec(std::string("SELECT ") + std::string(kActionColumns) +
                                           " FROM approval_actions WHERE id = ?",
                                       {Text(std::string(id))}));
  if (r.rows.empty()) return std::optional<Action>();
  IDS_ASSIGN_OR_RETURN(auto a, ActionFromRow(r.rows[0]));
  if (display_text) *display_text = r.rows[0].Text(7);
  return std::optional<Action>(std::move(a));
}

// Takes the person's gate row (serialising their concurrent creations and claims: PostgreSQL
// holds the row lock until commit, SQLite has one writer) and counts their live actions.
Status CheckPendingLimit(store::Transaction& tx, const std::string& identity_id, int64_t now_s,
                         int64_t now_ms, int max_pending) {
  IDS_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO approval_identity_gate (identity_id, touched_at) VALUES (?, ?)"
              " ON CONFLICT (identity_id) DO UPDATE SET touched_at = excluded.touched_at",
              {Text(identity_id), Int(now_ms)})
          .status());
  IDS_ASSIGN_OR_RETURN(auto r, tx.Exec("SELECT COUNT(*) FROM approval_actions"
                                       " WHERE identity_id = ? AND state = 'pending'"
                                       " AND expires_at > ?",
                                       {Text(identity_id), Int(now_s)}));
  if (r.rows[0].Int(0) >= max_pending) {
    return Status::ResourceExhausted("too many pending actions for this person");
  }
  return Status::Ok();
}

Status NotPending(const Action& action, int64_t now_s) {
  if (action.state == ActionState::kPending && now_s >= action.expires_at) {
    return Status::FailedPrecondition("the action has expired");
  }
  return Status::FailedPrecondition("the action is " + std::string(ActionStateName(action.state)));
}

Result<std::vector<uint8_t>> DecodeSignature(std::string_view text, std::string_view name) {
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) return Status::InvalidArgument(std::string(name) + ": not base64url");
  return std::move(bytes).value();
}

// The device may act on the action: known, active, and the action's identity's.
// The device may decide the action: active, and the action's person's.
Status MayDecide(const Device& device, const Action& action) {
  if (device.status != DeviceStatus::kActive || !action.identity_id ||
      device.identity_id != *action.identity_id) {
    return Status::PermissionDenied("this device may not decide this action");
  }
  return Status::Ok();
}

Result<Device> CheckDevice(store::Executor& db, std::string_view device_id, const Action& action) {
  auto device = LoadDevice(db, device_id);
  if (!device.ok() && device.status().code() != Status::Code::kNotFound) return device.status();
  if (!device.ok()) return Status::PermissionDenied("this device may not decide this action");
  IDS_RETURN_IF_ERROR(MayDecide(*device, action));
  return std::move(device).value();
}

// Inside the decision's transaction: the device is still active and the action's identity's.
// (The key was checked outside it; a device's key never changes.)
Status CheckDeviceStatus(store::Executor& db, std::string_view device_id, const Action& action) {
  IDS_ASSIGN_OR_RETURN(auto r, db.Exec("SELECT identity_id, status FROM approval_devices"
                                       " WHERE id = ?",
                                       {Text(std::string(device_id))}));
  if (r.rows.empty() || r.rows[0].Text(1) != "active" || !action.identity_id ||
      r.rows[0].Text(0) != *action.identity_id) {
    return Status::PermissionDenied("this device may not decide this action");
  }
  return Status::Ok();
}

}  // namespace

std::string_view ActionTypeName(ActionType type) {
  switch (type) {
    case ActionType::kLogin:
      return "login";
    case ActionType::kShareData:
      return "share_data";
    case ActionType::kConfirmation:
      return "confirmation";
    case ActionType::kSignature:
      return "signature";
  }
  return "login";
}

std::optional<ActionType> ParseActionType(std::string_view name) {
  for (auto t : {ActionType::kLogin, ActionType::kShareData, ActionType::kConfirmation,
                 ActionType::kSignature}) {
    if (ActionTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string_view AssuranceLevelName(AssuranceLevel level) {
  return level == AssuranceLevel::kAdvanced ? "advanced" : "basic";
}

std::optional<AssuranceLevel> ParseAssuranceLevel(std::string_view name) {
  if (name == "basic") return AssuranceLevel::kBasic;
  if (name == "advanced") return AssuranceLevel::kAdvanced;
  return std::nullopt;
}

std::string_view ActionStateName(ActionState state) {
  switch (state) {
    case ActionState::kPending:
      return "pending";
    case ActionState::kApproved:
      return "approved";
    case ActionState::kDenied:
      return "denied";
    case ActionState::kExpired:
      return "expired";
    case ActionState::kCancelled:
      return "cancelled";
  }
  return "pending";
}

std::optional<ActionState> ParseActionState(std::string_view name) {
  for (auto s : {ActionState::kPending, ActionState::kApproved, ActionState::kDenied,
                 ActionState::kExpired, ActionState::kCancelled}) {
    if (ActionStateName(s) == name) return s;
  }
  return std::nullopt;
}

Result<nlohmann::json> DigestInput(const Action& action) {
  if (!action.display.is_object()) return Status::InvalidArgument("display: must be an object");
  return nlohmann::json{{"purpose", kDigestPurpose},
                        {"id", action.id},
                        {"type", ActionTypeName(action.type)},
                        {"member", action.member_display_name},
                        {"display", action.display},
                        {"verification_code", action.verification_code},
                        {"nonce", action.nonce},
                        {"level", AssuranceLevelName(action.level)},
                        {"expires_at", action.expires_at}};
}

Result<crypto::Sha256Digest> ActionDigest(const Action& action) {
  IDS_ASSIGN_OR_RETURN(auto input, DigestInput(action));
  IDS_ASSIGN_OR_RETURN(std::string canonical, Canonicalize(input));
  return crypto::Sha256(canonical);
}

Actions::Actions(store::Database& db, const Clock& clock, Random& random, SimBindingLookup* sim,
                 ActionOptions options)
    : db_(db), clock_(clock), random_(random), sim_(sim), options_(options) {}

Result<Action> Actions::Create(const NewAction& request) {
  if (request.member_id.empty()) return Status::InvalidArgument("member_id: missing");
  if (request.member_display_name.empty()) {
    return Status::InvalidArgument("member_display_name: missing");
  }
  if (request.client_id.empty()) return Status::InvalidArgument("client_id: missing");
  if (request.identity_id && request.identity_id->empty()) {
    return Status::InvalidArgument("identity_id: empty");
  }
  if (!request.display.is_object()) return Status::InvalidArgument("display: must be an object");
  auto display_text = Canonicalize(request.display);
  if (!display_text.ok()) return display_text.status().WithContext("display");
  if (display_text->size() > options_.max_display_bytes) {
    return Status::InvalidArgument("display: too large");
  }
  // The names are digested too: they must have a canonical form.
  IDS_RETURN_IF_ERROR(Canonicalize(nlohmann::json(request.member_display_name)).status());
  const int64_t ttl = request.ttl_seconds == 0 ? options_.default_ttl_seconds : request.ttl_seconds;
  if (ttl <= 0 || ttl > options_.max_ttl_seconds) {
    return Status::InvalidArgument("ttl: out of range");
  }

  Action a;
  a.id = "act_" + random_.Token(16);
  a.type = request.type;
  a.member_id = request.member_id;
  a.member_display_name = request.member_display_name;
  a.client_id = request.client_id;
  a.identity_id = request.identity_id;
  a.level = request.level;
  IDS_ASSIGN_OR_RETURN(a.display, crypto::ParseJsonObjectStrict(*display_text));
  a.nonce = random_.Token(32);
  uint64_t modulus = 1;
  for (int i = 0; i < options_.code_digits; ++i) modulus *= 10;
  auto code = [&] {
    std::string s = std::to_string(random_.Uniform(modulus));
    return std::string(static_cast<size_t>(options_.code_digits) - s.size(), '0') + s;
  };
  a.verification_code = code();
  if (options_.number_matching) {
    a.code_choices.push_back(a.verification_code);
    while (a.code_choices.size() < 3) {
      std::string decoy = code();
      if (std::find(a.code_choices.begin(), a.code_choices.end(), decoy) == a.code_choices.end())
        a.code_choices.push_back(std::move(decoy));
    }
    for (size_t i = a.code_choices.size() - 1; i > 0; --i) {
      std::swap(a.code_choices[i], a.code_choices[random_.Uniform(i + 1)]);
    }
  }
  a.created_at_ms = clock_.NowMillis();
  const int64_t now_s = clock_.NowSeconds();
  a.expires_at = now_s + ttl;
  IDS_ASSIGN_OR_RETURN(std::string choices_text, Canonicalize(nlohmann::json(a.code_choices)));

  Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    if (a.identity_id) {
      IDS_RETURN_IF_ERROR(CheckPendingLimit(tx, *a.identity_id, now_s, a.created_at_ms,
                                            options_.max_pending_per_identity));
    }
    return tx
        .Exec(
            "INSERT INTO approval_actions (id, type, member_id, member_display_name, client_id,"
            " identity_id, level, display, verification_code, code_choices, nonce, created_at,"
            " expires_at, state, decided_by) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '')",
            {Text(a.id), Text(std::string(ActionTypeName(a.type))), Text(a.member_id),
             Text(a.member_display_name), Text(a.client_id),
             a.identity_id ? Text(*a.identity_id) : Null(),
             Text(std::string(AssuranceLevelName(a.level))), Text(*display_text),
             Text(a.verification_code), Text(choices_text), Text(a.nonce), Int(a.created_at_ms),
             Int(a.expires_at)})
        .status();
  });
  if (!st.ok()) return st;
  return a;
}

Result<Action> Actions::Get(std::string_view action_id) {
  IDS_ASSIGN_OR_RETURN(auto action, LoadAction(db_, action_id));
  if (!action) return Status::NotFound("no such action");
  const int64_t now_s = clock_.NowSeconds();
  if (action->state != ActionState::kPending || now_s < action->expires_at) return *action;
  // Past its expiry: write it down once (whoever decided first, the row now says so).
  IDS_RETURN_IF_ERROR(db_.Exec("UPDATE approval_actions SET state = 'expired', decided_at = ?,"
                               " decided_by = 'system'"
                               " WHERE id = ? AND state = 'pending' AND expires_at <= ?",
                               {Int(clock_.NowMillis()), Text(action->id), Int(now_s)})
                          .status());
  IDS_ASSIGN_OR_RETURN(action, LoadAction(db_, action_id));
  if (!action) return Status::NotFound("no such action");
  return *action;
}

Result<LoadedAction> Actions::Load(std::string_view action_id) {
  LoadedAction loaded;
  IDS_ASSIGN_OR_RETURN(auto action, LoadAction(db_, action_id, &loaded.display_text));
  if (!action) return Status::NotFound("no such action");
  loaded.action = std::move(*action);
  return loaded;
}

Result<Action> Actions::Claim(std::string_view action_id, std::string_view identity_id) {
  if (identity_id.empty()) return Status::InvalidArgument("identity_id: empty");
  const int64_t now_s = clock_.NowSeconds();
  const int64_t now_ms = clock_.NowMillis();
  std::optional<Action> out;
  Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(auto action, LoadAction(tx, action_id));
    if (!action) return Status::NotFound("no such action");
    if (action->identity_id) return Status::FailedPrecondition("the action is already claimed");
    if (action->state != ActionState::kPending || now_s >= action->expires_at) {
      return NotPending(*action, now_s);
    }
    IDS_RETURN_IF_ERROR(CheckPendingLimit(tx, std::string(identity_id), now_s, now_ms,
                                          options_.max_pending_per_identity));
    IDS_ASSIGN_OR_RETURN(
        auto r, tx.Exec("UPDATE approval_actions SET identity_id = ? WHERE id = ?"
                        " AND identity_id IS NULL AND state = 'pending' AND expires_at > ?",
                        {Text(std::string(identity_id)), Text(action->id), Int(now_s)}));
    if (r.affected != 1) return Status::FailedPrecondition("the action is already claimed");
    action->identity_id = std::string(identity_id);
    out = std::move(action);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return std::move(*out);
}

Result<std::vector<Action>> Actions::Pending(std::string_view identity_id) {
  IDS_ASSIGN_OR_RETURN(auto r,
                       db_.Exec(std::string("SELECT ") + std::string(kActionColumns) +
                                    " FROM approval_actions WHERE identity_id = ?"
                                    " AND state = 'pending' AND expires_at > ?"
                                    " ORDER BY created_at, id",
                                {Text(std::string(identity_id)), Int(clock_.NowSeconds())}));
  std::vector<Action> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    IDS_ASSIGN_OR_RETURN(auto a, ActionFromRow(row));
    out.push_back(std::move(a));
  }
  return out;
}

Result<SimBindingLookup::Binding> Actions::CheckSimBinding(store::Executor& db,
                                                           const Action& action) {
  IDS_ASSIGN_OR_RETURN(auto binding, sim_->ActiveBinding(db, *action.identity_id));
  // Swapped and bound again since the request: the SIM that signs is not the one the person had
  // when the request was made.
  if (binding.since_ms > action.created_at_ms) {
    return Status::FailedPrecondition("the SIM binding changed after the request");
  }
  return binding;
}

Result<Action> Actions::Approve(const Approval& approval) {
  IDS_ASSIGN_OR_RETURN(auto device_sig,
                       DecodeSignature(approval.device_signature, "device_signature"));
  std::vector<uint8_t> sim_sig;
  if (!approval.sim_signature.empty()) {
    IDS_ASSIGN_OR_RETURN(sim_sig, DecodeSignature(approval.sim_signature, "sim_signature"));
  }
  const int64_t now_s = clock_.NowSeconds();
  const int64_t now_ms = clock_.NowMillis();
  const std::string actor = "device:" + approval.device_id;

  // The checks that cost CPU (digest, signatures) run on what is read here, outside the write
  // transaction, so they do not hold the store's write slot; the transaction then records the
  // decision only if the row is still exactly what was verified (RecordApproval).
  std::string display_text;
  std::optional<Action> action;
  if (approval.loaded != nullptr) {
    if (approval.loaded->action.id != approval.action_id) {
      return Status::InvalidArgument("approval: the action given is not action_id's");
    }
    action = approval.loaded->action;
    display_text = approval.loaded->display_text;
  } else {
    IDS_ASSIGN_OR_RETURN(action, LoadAction(db_, approval.action_id, &display_text));
    if (!action) return Status::NotFound("no such action");
  }
  if (action->state != ActionState::kPending || now_s >= action->expires_at) {
    return NotPending(*action, now_s);  // a replayed approval ends here
  }
  Device loaded;
  const Device* device_ptr = approval.device;
  if (device_ptr != nullptr) {
    if (device_ptr->id != approval.device_id || !device_ptr->public_key) {
      return Status::InvalidArgument("approval: the device given is not device_id's");
    }
    IDS_RETURN_IF_ERROR(MayDecide(*device_ptr, *action));
  } else {
    IDS_ASSIGN_OR_RETURN(loaded, CheckDevice(db_, approval.device_id, *action));
    device_ptr = &loaded;
  }
  const Device& device = *device_ptr;
  if (approval.pin != nullptr && (!approval.pin->match || approval.pin->device_id != device.id)) {
    return Status::InvalidArgument("approval: the PIN check given is not a right PIN of device_id");
  }
  // The request's once-only value, then the PIN's verdict, first in each decision's transaction.
  auto once_and_pin = [&](store::Transaction& tx) -> Status {
    if (approval.once != nullptr) {
      IDS_ASSIGN_OR_RETURN(bool first, approval.once->AcceptIn(tx));
      // Rolled back, and `once` stays pending: the caller refuses the replay as such.
      if (!first) return Status::Unauthenticated("approval: the request was made before");
    }
    if (approval.pin == nullptr) return CheckDeviceStatus(tx, approval.device_id, *action);
    IDS_ASSIGN_OR_RETURN(bool right, RecordPin(tx, *approval.pin, now_ms));
    // Locked, removed or at the limit since the check: the right PIN counts no more.
    if (!right) return PinRefused();  // the same answer as a wrong PIN (docs/pin.md)
    return Status::Ok();
  };
  auto committed = [&] {
    if (approval.once != nullptr) approval.once->Committed();
  };
  // A signature that does not verify, from a caller that checked the PIN: answered and counted
  // as a wrong PIN, so that a refusal never says which factor failed (issue 4; PSD2 RTS
  // (EU 2018/389) Art. 4(2)(b)): else a device key used without the PIN would learn, from a
  // deliberately bad signature, whether a PIN guess was right.
  auto refuse_factor = [&](std::string reason) -> Status {
    if (approval.pin == nullptr) return Status::Unauthenticated(std::move(reason));
    PinCheck failed;
    failed.device_id = approval.pin->device_id;
    failed.max_failures = approval.pin->max_failures;
    Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
      if (approval.once != nullptr) {
        IDS_ASSIGN_OR_RETURN(bool first, approval.once->AcceptIn(tx));
        if (!first) return Status::Unauthenticated("approval: the request was made before");
      }
      return RecordPin(tx, failed, now_ms).status();
    });
    if (!st.ok()) return st;
    committed();
    return PinRefused();
  };

  // Number matching: a wrong pick ends the action, so guessing gets one try.
  if (!crypto::ConstantTimeEquals(approval.verification_code, action->verification_code)) {
    Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
      IDS_RETURN_IF_ERROR(once_and_pin(tx));
      IDS_ASSIGN_OR_RETURN(
          auto r, tx.Exec("UPDATE approval_actions SET state = 'denied', decided_at = ?,"
                          " decided_by = ? WHERE id = ? AND state = 'pending' AND expires_at > ?",
                          {Int(now_ms), Text(actor), Text(action->id), Int(now_s)}));
      if (r.affected != 1) return Status::FailedPrecondition("the action is no longer pending");
      return audit::Append(tx,
                           {actor,
                            "approval.wrong_code",
                            action->id,
                            {{"type", ActionTypeName(action->type)},
                             {"member_id", action->member_id},
                             {"client_id", action->client_id}}},
                           now_ms)
          .status();
    });
    if (!st.ok()) return st;
    committed();
    return Status::PermissionDenied("the verification code does not match; the action is denied");
  }

  // The digest of what is stored: if anything changed since it was shown, the app's signature
  // (over what it showed) does not verify.
  IDS_ASSIGN_OR_RETURN(auto digest, ActionDigest(*action));
  if (!crypto::VerifyBytes(crypto::SigAlg::kES256, *device.public_key, digest, device_sig).ok()) {
    return refuse_factor("the device signature does not verify");
  }
  nlohmann::json details = {{"type", ActionTypeName(action->type)},
                            {"level", AssuranceLevelName(action->level)},
                            {"member_id", action->member_id},
                            {"client_id", action->client_id},
                            {"identity_id", *action->identity_id},
                            {"digest", HexEncode(digest)},
                            {"device_jwk_thumbprint", device.jwk_thumbprint},
                            {"device_signature", approval.device_signature}};
  std::string binding_id;
  if (action->level == AssuranceLevel::kAdvanced) {
    if (sim_ == nullptr) return Status::FailedPrecondition("the advanced level is not available");
    auto binding = CheckSimBinding(db_, *action);
    if (!binding.ok()) {
      if (binding.status().code() != Status::Code::kFailedPrecondition) return binding.status();
      // SCHEME.md: a level the person's enrolment cannot reach fails with a clear error, at
      // once, rather than waiting out the expiry. Only the person (the PIN was right) learns it
      // here, so the browser page still says nothing about the number before that.
      const std::string reason = binding.status().message();
      Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
        IDS_RETURN_IF_ERROR(once_and_pin(tx));
        IDS_ASSIGN_OR_RETURN(
            auto r, tx.Exec("UPDATE approval_actions SET state = 'cancelled', decided_at = ?,"
                            " decided_by = ? WHERE id = ? AND state = 'pending' AND expires_at > ?",
                            {Int(now_ms), Text(std::string(kDecidedByLevelUnreachable)),
                             Text(action->id), Int(now_s)}));
        if (r.affected != 1) return Status::FailedPrecondition("the action is no longer pending");
        return audit::Append(tx,
                             {std::string(kDecidedByLevelUnreachable),
                              "approval.level_unreachable",
                              action->id,
                              {{"type", ActionTypeName(action->type)},
                               {"member_id", action->member_id},
                               {"client_id", action->client_id},
                               {"device_id", device.id},
                               {"reason", reason}}},
                             now_ms)
            .status();
      });
      if (!st.ok()) return st;
      committed();
      return Status::FailedPrecondition(reason + "; the advanced level cannot be reached, and " +
                                        "the request is cancelled");
    }
    if (sim_sig.empty()) return refuse_factor("the SIM signature is missing");
    if (!binding->public_key ||
        !crypto::VerifyBytes(crypto::SigAlg::kES256, *binding->public_key, digest, sim_sig).ok()) {
      return refuse_factor("the SIM signature does not verify");
    }
    binding_id = binding->binding_id;
    details["sim_binding_id"] = binding->binding_id;
    details["sim_signature"] = approval.sim_signature;
  }

  Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    // Still the identity's active device, and (advanced) still the same binding, as of now.
    IDS_RETURN_IF_ERROR(once_and_pin(tx));
    if (!binding_id.empty()) {
      // Looked up again now, so a SIM swap reported meanwhile still stops the approval.
      IDS_ASSIGN_OR_RETURN(auto binding, CheckSimBinding(tx, *action));
      if (binding.binding_id != binding_id) {
        return Status::FailedPrecondition("the SIM binding changed after the request");
      }
    }
    // Decided once, and only if every column the digest covers is what was verified above.
    IDS_ASSIGN_OR_RETURN(
        auto r,
        tx.Exec("UPDATE approval_actions SET state = 'approved', decided_at = ?, decided_by = ?"
                " WHERE id = ? AND state = 'pending' AND expires_at > ? AND identity_id = ?"
                " AND type = ? AND member_display_name = ? AND display = ?"
                " AND verification_code = ? AND nonce = ? AND level = ? AND expires_at = ?",
                {Int(now_ms), Text(actor), Text(action->id), Int(now_s), Text(*action->identity_id),
                 Text(std::string(ActionTypeName(action->type))), Text(action->member_display_name),
                 Text(display_text), Text(action->verification_code), Text(action->nonce),
                 Text(std::string(AssuranceLevelName(action->level))), Int(action->expires_at)}));
    if (r.affected != 1) return Status::FailedPrecondition("the action is no longer pending");
    return audit::Append(tx, {actor, "approval.approve", action->id, std::move(details)}, now_ms)
        .status();
  });
  if (!st.ok()) return st;
  committed();
  action->state = ActionState::kApproved;
  action->decided_at_ms = now_ms;
  action->decided_by = actor;
  return std::move(*action);
}

Result<Action> Actions::Deny(std::string_view action_id, std::string_view device_id) {
  return Decide(action_id, ActionState::kDenied, device_id, "approval.deny", {});
}

Result<Action> Actions::Cancel(std::string_view action_id, std::string_view actor) {
  if (actor.empty()) return Status::InvalidArgument("actor: missing");
  return Decide(action_id, ActionState::kCancelled, actor, "approval.cancel", {});
}

// Deny (actor: a device id, checked against the action) or Cancel (actor: as in audit::Event).
Result<Action> Actions::Decide(std::string_view action_id, ActionState to, std::string_view actor,
                               std::string_view audit_action, const nlohmann::json& details) {
  const int64_t now_s = clock_.NowSeconds();
  const int64_t now_ms = clock_.NowMillis();
  std::optional<Action> out;
  Status st = store::InTransaction(db_, [&](store::Transaction& tx) -> Status {
    IDS_ASSIGN_OR_RETURN(auto action, LoadAction(tx, action_id));
    if (!action) return Status::NotFound("no such action");
    if (action->state != ActionState::kPending || now_s >= action->expires_at) {
      return NotPending(*action, now_s);
    }
    std::string who(actor);
    if (to == ActionState::kDenied) {
      IDS_RETURN_IF_ERROR(CheckDevice(tx, actor, *action).status());
      who = "device:" + who;
    }
    IDS_ASSIGN_OR_RETURN(
        auto r, tx.Exec("UPDATE approval_actions SET state = ?, decided_at = ?, decided_by = ?"
                        " WHERE id = ? AND state = 'pending' AND expires_at > ?",
                        {Text(std::string(ActionStateName(to))), Int(now_ms), Text(who),
                         Text(action->id), Int(now_s)}));
    if (r.affected != 1) return Status::FailedPrecondition("the action is no longer pending");
    nlohmann::json d = details.is_object() ? details : nlohmann::json::object();
    d["type"] = ActionTypeName(action->type);
    d["member_id"] = action->member_id;
    d["client_id"] = action->client_id;
    IDS_RETURN_IF_ERROR(
        audit::Append(tx, {who, std::string(audit_action), action->id, std::move(d)}, now_ms)
            .status());
    action->state = to;
    action->decided_at_ms = now_ms;
    action->decided_by = who;
    out = std::move(action);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return std::move(*out);
}

Result<int64_t> Actions::ExpireDue() {
  IDS_ASSIGN_OR_RETURN(auto r, db_.Exec("UPDATE approval_actions SET state = 'expired',"
                                        " decided_at = ?, decided_by = 'system'"
                                        " WHERE state = 'pending' AND expires_at <= ?",
                                        {Int(clock_.NowMillis()), Int(clock_.NowSeconds())}));
  return r.affected;
}

Result<int64_t> CancelPendingOfMember(store::Transaction& tx, std::string_view member_id,
                                      std::string_view client_id, std::string_view actor,
                                      int64_t now_ms) {
  std::string sql =
      "UPDATE approval_actions SET state = 'cancelled', decided_at = ?, decided_by = ?"
      " WHERE member_id = ? AND state = 'pending'";
  std::vector<store::Value> params = {Int(now_ms), Text(std::string(actor)),
                                      Text(std::string(member_id))};
  if (!client_id.empty()) {
    sql += " AND client_id = ?";
    params.push_back(Text(std::string(client_id)));
  }
  IDS_ASSIGN_OR_RETURN(auto r, tx.Exec(sql, params));
  if (r.affected > 0) {
    IDS_RETURN_IF_ERROR(
        audit::Append(tx,
                      {std::string(actor),
                       "approval.cancel_member",
                       std::string(member_id),
                       {{"client_id", std::string(client_id)}, {"cancelled", r.affected}}},
                      now_ms)
            .status());
  }
  return r.affected;
}

Result<int64_t> CancelPendingOfIdentity(store::Transaction& tx, std::string_view identity_id,
                                        std::string_view actor, int64_t now_ms) {
  IDS_ASSIGN_OR_RETURN(
      auto r, tx.Exec("UPDATE approval_actions SET state = 'cancelled',"
                      " decided_at = ?, decided_by = ? WHERE identity_id = ?"
                      " AND state = 'pending'",
                      {Int(now_ms), Text(std::string(actor)), Text(std::string(identity_id))}));
  if (r.affected > 0) {
    IDS_RETURN_IF_ERROR(audit::Append(tx,
                                      {std::string(actor),
                                       "approval.cancel_identity",
                                       std::string(identity_id),
                                       {{"cancelled", r.affected}}},
                                      now_ms)
                            .status());
  }
  return r.affected;
}

}  // namespace idscheme::approval

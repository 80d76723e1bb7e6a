// A test fixture for the token side: OidcTest's node parts, the identity part's tables, an
// identity registrar, and one enrolled person (identity::testing::SampleIdentity) whose logins the
// tests turn into codes and tokens. Shared by token_flow_test and logout_test.
//
// Thread-safety: as any GoogleTest fixture, one test on one thread.
#pragma once

#include <memory>

#include "identity/identities.h"
#include "oidc/oidc_test_env.h"

namespace idscheme::oidc::testenv {

class OidcPersonTest : public OidcTest {
 protected:
  void SetUp() override;

  std::unique_ptr<identity::Identities> identities_;
  identity::Identity person_;
};

}  // namespace idscheme::oidc::testenv

#include "http/router.h"

#include <gtest/gtest.h>

namespace idscheme::http {
namespace {

Handler Named(std::string text) {
  return [text](Request&) { return Response::Text(200, text); };
}

TEST(Router, ExactPatternsHeadAndMethodErrors) {
  Router router;
  router.Add("GET", "/token", "token_get", Named("get"))
      .Add("POST", "/token", "token", Named("post"))
      .Add("GET", "/clients/{client_id}", "client", Named("client"))
      .Add("GET", "/clients/new", "client_new", Named("new"))
      .Add("DELETE", "/clients/{client_id}/keys/{kid}", "client_key", Named("key"));

  Request req;
  auto m = router.Find("POST", "/token", &req);
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route->name, "token");

  m = router.Find("HEAD", "/token", &req);
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(m.route->name, "token_get");

  m = router.Find("PUT", "/token", &req);
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");

  EXPECT_EQ(router.Find("GET", "/nope", &req).kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/token/", &req).kind, Router::Match::Kind::kNotFound);

  // An exact path wins over a pattern.
  m = router.Find("GET", "/clients/new", &req);
  EXPECT_EQ(m.route->name, "client_new");

  Request with_params;
  m = router.Find("DELETE", "/clients/c1/keys/k 2", &with_params);
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_EQ(with_params.PathParam("client_id"), "c1");
  EXPECT_EQ(with_params.PathParam("kid"), "k 2");
  EXPECT_EQ(with_params.PathParam("other"), std::nullopt);

  m = router.Find("POST", "/clients/c1", &req);
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD");
  // A parameter never matches an empty segment, and segment counts must agree.
  EXPECT_EQ(router.Find("GET", "/clients/", &req).kind, Router::Match::Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", "/clients/a/b", &req).kind, Router::Match::Kind::kNotFound);
}

// RFC 9110 §9.2.1: HEAD is safe, so it never runs a GET that has effects.
TEST(Router, HeadSkipsAGetWithEffects) {
  Router router;
  RouteOptions effects;
  effects.get_has_effects = true;
  router.Add("GET", "/authorize", "authorize", Named("get"), effects)
      .Add("POST", "/authorize", "authorize_post", Named("post"));
  Request req;
  EXPECT_EQ(router.Find("GET", "/authorize", &req).kind, Router::Match::Kind::kFound);
  auto m = router.Find("HEAD", "/authorize", &req);
  EXPECT_EQ(m.kind, Router::Match::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, POST");
}

TEST(Router, AcceptsCoroutineHandlers) {
  Router router;
  router.Add("GET", "/wait", "wait",
             [](Request&) -> boost::asio::awaitable<Response> { co_return Response(204); });
  Request req;
  auto m = router.Find("GET", "/wait", &req);
  ASSERT_EQ(m.kind, Router::Match::Kind::kFound);
  EXPECT_FALSE(m.route->handler);
  EXPECT_TRUE(m.route->async_handler);
}

TEST(Router, RejectsBadRegistrations) {
  Router router;
  router.Add("GET", "/a", "a", Named("a"));
  EXPECT_THROW(router.Add("GET", "/a", "a2", Named("x")), std::logic_error);
  EXPECT_THROW(router.Add("GET", "a", "a", Named("x")), std::logic_error);
  EXPECT_THROW(router.Add("GET", "/b/{x", "b", Named("x")), std::logic_error);
  EXPECT_THROW(router.Add("GET", "/b/x}", "b", Named("x")), std::logic_error);
  EXPECT_THROW(router.Add("HEAD", "/c", "c", Named("x")), std::logic_error);
  EXPECT_THROW(router.Add("GET", "/d", "", Named("x")), std::logic_error);
  EXPECT_THROW(router.Add("GET", "/e", "e", Handler()), std::logic_error);
}

}  // namespace
}  // namespace idscheme::http

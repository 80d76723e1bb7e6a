// The top of the command line (cli/commands.h): what a newcomer meets when a word is mistyped,
// when --data names no store, and when the demo cannot take its port.
#include "cli/commands.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/test_db.h"

namespace idscheme::cli {
namespace {

struct Outcome {
  int rc = -1;
  std::string out;
  std::string err;
};

Outcome RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "idscheme");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Outcome r;
  r.rc = Run(static_cast<int>(argv.size()), argv.data());
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

TEST(Commands, AMistypedCommandIsNamed) {
  Outcome top = RunCli({"serv"});
  EXPECT_EQ(top.rc, 2);
  EXPECT_NE(top.err.find("'serv' is not a command of 'idscheme'"), std::string::npos) << top.err;
  Outcome nested = RunCli({"keys", "lst"});
  EXPECT_EQ(nested.rc, 2);
  EXPECT_NE(nested.err.find("'lst' is not a command of 'idscheme keys'"), std::string::npos)
      << nested.err;
  Outcome missing = RunCli({"member"});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("'idscheme member' needs a command"), std::string::npos)
      << missing.err;
}

TEST(Commands, TheTopHelpListsEachCommandOnOneLine) {
  Outcome help = RunCli({"--help"});
  EXPECT_EQ(help.rc, 0);
  // The app's long guide belongs to `idscheme app --help`, not to the list of commands.
  EXPECT_EQ(help.out.find("does not open the sealed key"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("  app "), std::string::npos) << help.out;
  EXPECT_NE(RunCli({"app", "--help"}).out.find("does not open the sealed key"), std::string::npos);
}

TEST(Commands, ReadingCommandsNeedAStoreAndCreateNone) {
  const std::string dir = testing::TempDir() + "/typo";
  for (std::vector<std::string> args : {std::vector<std::string>{"member", "list"},
                                        {"keys", "list"},
                                        {"audit", "verify"},
                                        {"identity", "list"},
                                        {"client", "show", "cl_x"}}) {
    args.push_back("--data");
    args.push_back(dir);
    Outcome r = RunCli(args);
    EXPECT_EQ(r.rc, 1) << args[0];
    EXPECT_NE(r.err.find("no store in " + dir), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir)) << args[0];
  }
}

TEST(Commands, TheDemoPrintsItsGuideOnlyOnceItListens) {
  // Another process holds the port.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string listen_at = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Outcome r = RunCli({"demo", "--data", testing::TempDir() + "/demo", "--listen", listen_at,
                      "--set", "keys.rsa_bits=2048"});
  close(fd);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("cannot listen on " + listen_at), std::string::npos) << r.err;
  // No activation code handed out, no instructions for a server that is not there.
  EXPECT_EQ(r.out.find("enroll --code"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Ctrl-C"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace idscheme::cli

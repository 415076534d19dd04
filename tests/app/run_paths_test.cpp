// No run may destroy a file it was not asked to write (issue 9): every output is compared with
// every input and every other output before anything is opened for writing (exit 2 naming both);
// a run that fails at start-up leaves an existing journal as it was; --resume refuses a file that
// is not a journal.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::TempDir;
using testing::write_file;

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";
const std::string kSampleConfig = std::string(TP_SOURCE_DIR) + "/config/sample.toml";
const std::string kOldJournal = "{\"event\":\"checkpoint\",\"ts\":1,\"events\":1}\n";

// A copy of the sample capture and config in `dir`, so a test may (try to) write over them.
struct Inputs {
  std::string capture;
  std::string config;
  std::string capture_bytes;
  std::string config_bytes;
  explicit Inputs(const TempDir& dir) : capture(dir / "cap.pcap"), config(dir / "c.toml") {
    std::filesystem::copy_file(kSample, capture);
    std::filesystem::copy_file(kSampleConfig, config);
    capture_bytes = read_file(capture);
    config_bytes = read_file(config);
  }
  bool unchanged() const { return read_file(capture) == capture_bytes && read_file(config) == config_bytes; }
};

struct SameFileCase {
  const char* name;
  const char* args;       // {cap} {cfg} {dir} are replaced
  const char* mentions;   // both paths the message must name
  const char* mentions2;
};

std::string expand(std::string s, const Inputs& in, const TempDir& dir) {
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"{cap}", in.capture}, {"{cfg}", in.config},
                             {"{dir}", dir.path()}}) {
    for (std::size_t at; (at = s.find(k)) != std::string::npos;) s.replace(at, k.size(), v);
  }
  return s;
}

class OutputIsAnInput : public ::testing::TestWithParam<SameFileCase> {};

TEST_P(OutputIsAnInput, RefusedWithExit2NamingBothAndNothingChanges) {
  const SameFileCase c = GetParam();
  TempDir dir;
  const Inputs in(dir);
  write_file(dir / "j.jsonl", kOldJournal);
  const auto r = run_tickpipe(expand(std::string("replay {cap} -c {cfg} ") + c.args, in, dir));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("is the same file as"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(c.mentions), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(c.mentions2), std::string::npos) << r.output;
  EXPECT_TRUE(in.unchanged());
  EXPECT_EQ(read_file(dir / "j.jsonl"), kOldJournal);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OutputIsAnInput,
    ::testing::Values(SameFileCase{"JournalIsTheCapture", "--journal {cap}", "--journal", "capture"},
                      SameFileCase{"JournalIsTheConfig", "--journal {cfg}", "--journal", "-c"},
                      SameFileCase{"ReportIsTheCapture", "--journal {dir}/j.jsonl --report {cap}", "--report", "capture"},
                      SameFileCase{"ReportIsTheJournal", "--journal {dir}/j.jsonl --report {dir}/j.jsonl", "--report",
                                   "--journal"},
                      SameFileCase{"DumpIsTheJournal", "--journal {dir}/j.jsonl --dump-messages {dir}/./j.jsonl",
                                   "--dump-messages", "--journal"},
                      SameFileCase{"DumpIsTheReport", "--journal {dir}/j.jsonl --report {dir}/x --dump-messages {dir}/x",
                                   "--dump-messages", "--report"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RunPaths, TheSameFileUnderAnotherNameIsFoundByInode) {
  TempDir dir;
  const Inputs in(dir);
  ASSERT_EQ(::link(in.capture.c_str(), (dir / "hard.pcap").c_str()), 0);
  ASSERT_EQ(::symlink(in.capture.c_str(), (dir / "soft.pcap").c_str()), 0);
  for (const char* alias : {"hard.pcap", "soft.pcap"}) {
    const auto r = run_tickpipe("replay " + in.capture + " -c " + in.config + " --journal " + dir / alias);
    EXPECT_EQ(r.status, 2) << alias << ": " << r.output;
    EXPECT_TRUE(in.unchanged()) << alias;
  }
  // A report beside a journal that does not exist yet is compared by path.
  const auto r = run_tickpipe("replay " + in.capture + " -c " + in.config + " --journal " + dir / "new.jsonl" +
                              " --report " + dir.path() + "/../" + std::filesystem::path(dir.path()).filename().string() +
                              "/new.jsonl");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "new.jsonl"));
}

// Start-up failures: the existing journal is exactly as it was, and no other file appeared.
TEST(RunPaths, AFailedStartUpLeavesTheJournalAsItWas) {
  TempDir dir;
  const Inputs in(dir);
  write_file(dir / "j.jsonl", kOldJournal);
  write_file(dir / "garbage.pcap", "this is not a capture file at all, just text\n");
  std::filesystem::create_directory(dir / "adir");
  const std::string base = "replay -c " + in.config + " --journal " + dir / "j.jsonl";
  struct Case {
    std::string args;
    int status;
    const char* says;
  };
  const Case cases[] = {
      {base + " " + dir / "missing.pcap", 1, "No such file or directory"},
      {base + " " + in.capture + " " + dir / "missing.pcap", 1, "No such file or directory"},
      {base + " " + dir / "garbage.pcap", 1, "garbage.pcap"},
      {base + " " + in.capture + " --dump-messages " + dir / "adir", 1, "is a directory"},
      {base + " " + in.capture + " --report " + dir / "adir", 1, "is a directory"},
      {base + " " + in.capture + " --report " + dir / "no/such/dir/r.json", 1, "No such file or directory"},
      {base + " " + in.capture + " --report ''", 2, "empty"},
      {base + " " + in.capture + " --dump-messages ''", 2, "empty"},
      {"replay -c " + in.config + " " + in.capture + " --journal ''", 2, "empty"},
      {"replay -c " + dir / "missing.toml" + " " + in.capture + " --journal " + dir / "j.jsonl", 2, "missing.toml"},
  };
  for (const Case& c : cases) {
    const auto r = run_tickpipe(c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(read_file(dir / "j.jsonl"), kOldJournal) << c.args;
    EXPECT_TRUE(in.unchanged());
  }
  // Nothing was left behind: no temporary journal, no report, no dump.
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 5u) << "cap.pcap, c.toml, j.jsonl, garbage.pcap and adir, nothing else";
}

TEST(RunPaths, ASuccessfulRunReplacesTheJournalAndKeepsItsPermissions) {
  TempDir dir;
  write_file(dir / "j.jsonl", kOldJournal);
  ASSERT_EQ(::chmod((dir / "j.jsonl").c_str(), 0640), 0);
  const auto r = run_tickpipe("replay --journal " + dir / "j.jsonl");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(read_file(dir / "j.jsonl"), kOldJournal);
  struct stat st{};
  ASSERT_EQ(::stat((dir / "j.jsonl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // A symbolic link to the journal stays a link; its target is the new journal.
  ASSERT_EQ(::symlink((dir / "j.jsonl").c_str(), (dir / "link.jsonl").c_str()), 0);
  write_file(dir / "j.jsonl", kOldJournal);
  ASSERT_EQ(run_tickpipe("replay --journal " + dir / "link.jsonl").status, 0);
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.jsonl"));
  EXPECT_NE(read_file(dir / "j.jsonl"), kOldJournal);
}

TEST(RunPaths, DevNullIsWrittenInPlaceNeverReplaced) {
  const auto r = run_tickpipe("replay --journal /dev/null --dump-messages /dev/null");
  ASSERT_EQ(r.status, 0) << r.output;
  struct stat st{};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(RunPaths, ResumeRefusesAFileThatIsNotAJournal) {
  TempDir dir;
  const Inputs in(dir);
  const std::string notes = "my trading notes\nline two\n";
  write_file(dir / "notes.txt", notes);
  const auto r = run_tickpipe("replay " + in.capture + " -c " + in.config + " --journal " + dir / "notes.txt" +
                              " --resume");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("is not a tickpipe journal"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir / "notes.txt"), notes);
  // A torn first line that is not the start of a record is foreign too.
  write_file(dir / "bin.dat", std::string("\x7f" "ELF\x02\x01", 6));
  const auto r2 =
      run_tickpipe("replay " + in.capture + " -c " + in.config + " --journal " + dir / "bin.dat" + " --resume");
  EXPECT_EQ(r2.status, 2) << r2.output;
  EXPECT_EQ(read_file(dir / "bin.dat"), std::string("\x7f" "ELF\x02\x01", 6));
}

TEST(RunPaths, ReportToAFullDeviceFails) {
  // The text report goes to stdout; when it cannot be written the run has failed.
  const int rc = std::system((std::string(TP_TICKPIPE_BIN) + " replay --journal /dev/null >/dev/full 2>/dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 1);
}

TEST(RunPaths, ReportToAClosedPipeFailsWithAMessage) {
  // `tickpipe replay | head -0`: the reader is gone. SIGPIPE is ignored, so the write fails with
  // EPIPE and the run says so (exit 1), after its journal is complete.
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);
    if (!std::freopen((dir / "err.txt").c_str(), "w", stderr)) _exit(126);
    execl(TP_TICKPIPE_BIN, TP_TICKPIPE_BIN, "replay", "--journal", (dir / "j.jsonl").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  close(fds[1]);
  const testing::ChildExit e = testing::wait_exit(pid);
  EXPECT_EQ(e.signal, -1) << "not killed by SIGPIPE";
  EXPECT_EQ(e.code, 1);
  EXPECT_NE(read_file(dir / "err.txt").find("cannot write the report to standard output"), std::string::npos)
      << read_file(dir / "err.txt");
  EXPECT_NE(read_file(dir / "j.jsonl").find("\"event\":\"checkpoint\""), std::string::npos);
}

}  // namespace
}  // namespace tp

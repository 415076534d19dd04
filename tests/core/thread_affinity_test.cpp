#include "core/threads/thread_affinity.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TP_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define TP_TEST_SANITIZED 1
#endif
#endif

namespace tp {
namespace {

// Everything that changes a thread's placement runs on a scratch thread, so the main thread
// (whose affinity and policy later tests inherit) is left as it was.
template <typename F>
void on_scratch_thread(F f) {
  std::thread t(f);
  t.join();
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

TEST(ThreadAffinity, CpuCounts) {
  EXPECT_GE(online_cpu_count(), 1);
  const std::vector<int> cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  EXPECT_LE(static_cast<int>(cpus.size()), CPU_SETSIZE);
  for (std::size_t i = 1; i < cpus.size(); ++i) EXPECT_LT(cpus[i - 1], cpus[i]);
}

TEST(ThreadAffinity, PinsToAnAllowedCpu) {
  const std::vector<int> cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  const int cpu = cpus.back();
  std::string err = "not run";
  int ran_on = -1;
  on_scratch_thread([&] {
    err = pin_current_thread(cpu);
    ran_on = sched_getcpu();
  });
  EXPECT_EQ(err, "");
  EXPECT_EQ(ran_on, cpu);
}

TEST(ThreadAffinity, PinningToAMissingCpuSaysWhy) {
  std::string err;
  on_scratch_thread([&] { err = pin_current_thread(100000); });
  EXPECT_FALSE(err.empty());
  EXPECT_TRUE(contains(err, "100000")) << err;
  EXPECT_EQ(pin_current_thread(-1), "") << "negative: leave the thread unpinned";
}

TEST(ThreadAffinity, FifoPriorityZeroIsANoop) {
  std::string err = "not run";
  int policy_before = -1;
  int policy_after = -2;
  on_scratch_thread([&] {
    policy_before = sched_getscheduler(0);
    err = set_current_thread_fifo(0);
    policy_after = sched_getscheduler(0);
  });
  EXPECT_EQ(err, "");
  EXPECT_EQ(policy_after, policy_before);
  EXPECT_EQ(set_current_thread_fifo(-5), "");
}

TEST(ThreadAffinity, FifoEitherWorksOrSaysHowToGrantIt) {
  std::string err = "not run";
  int policy = -1;
  on_scratch_thread([&] {
    err = set_current_thread_fifo(10);
    policy = sched_getscheduler(0);
  });
  if (err.empty()) {
    EXPECT_EQ(policy, SCHED_FIFO);
  } else {
    EXPECT_TRUE(contains(err, "CAP_SYS_NICE") || contains(err, "SCHED_FIFO")) << err;
    EXPECT_TRUE(contains(err, "SCHED_OTHER")) << err;
    EXPECT_NE(policy, SCHED_FIFO);
  }
}

TEST(ThreadAffinity, FifoPriorityOutOfRange) {
  std::string err;
  on_scratch_thread([&] { err = set_current_thread_fifo(1000); });
  EXPECT_TRUE(contains(err, "1000")) << err;
}

TEST(ThreadAffinity, LockMemoryEitherWorksOrSaysHowToAllowIt) {
#if defined(TP_TEST_SANITIZED)
  GTEST_SKIP() << "MCL_FUTURE would lock the sanitizer's shadow mappings";
#else
  // In a child: MCL_FUTURE would otherwise lock every later allocation of the test process.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string err = lock_process_memory();
    const bool ok = err.empty() || (contains(err, "RLIMIT_MEMLOCK") && contains(err, "ulimit -l") &&
                                    contains(err, "CAP_IPC_LOCK"));
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
#endif
}

TEST(ThreadAffinity, PlacementWarningThresholds) {
  EXPECT_EQ(placement_warning(0, 2), "");
  EXPECT_EQ(placement_warning(1, 2), "");
  EXPECT_EQ(placement_warning(2, 4), "");
  EXPECT_EQ(placement_warning(3, 4), "");
  EXPECT_EQ(placement_warning(3, 0), "") << "unknown CPU count: no guess";
  const std::string two_on_two = placement_warning(2, 2);
  EXPECT_FALSE(two_on_two.empty()) << "no CPU left for the OS";
  EXPECT_TRUE(contains(two_on_two, "2 busy-spinning stages on 2 allowed CPUs")) << two_on_two;
  EXPECT_FALSE(placement_warning(3, 2).empty());
  EXPECT_FALSE(placement_warning(1, 1).empty());
  EXPECT_TRUE(contains(placement_warning(3, 2), "spin_then_yield")) << "says what to do";
}

}  // namespace
}  // namespace tp

// tp::SpscRing against packaged single-producer/single-consumer queues, for 64-byte messages
// (tp::MarketEvent) between two threads pinned to different CPUs.
//
// Queues (all hold 4096 messages and never allocate in the timed loop):
//   SpscRing          tp::SpscRing<MarketEvent, 4096>, try_push / try_pop (per-slot turn byte
//                     inside MarketEvent's last cache-line word: one line per slot).
//   SpscRingIndexOnly the previous tp::SpscRing (consumer polls the producer's head index), kept
//                     verbatim in this file for comparison.
//   SpscRingSlot128   tp::SpscRing of a 64-byte wrapper without a ring_turn byte: the turn sits
//                     next to the payload, so each slot is two cache lines (what GatewayMsg,
//                     ExecReport and JournalRecord get today).
//   RWQueue           moodycamel::ReaderWriterQueue<MarketEvent>(4096), try_enqueue / try_dequeue.
//   BoostSpsc         boost::lockfree::spsc_queue<MarketEvent, capacity<4096>>, push / pop.
//   ConcurrentQueue   moodycamel::ConcurrentQueue<MarketEvent>(4096, 1 explicit producer, 0 implicit),
//                     ProducerToken + try_enqueue, consumer try_dequeue_from_producer(token) (its
//                     fastest single-producer path). Its explicit producer starts with a 32-block
//                     index (32 x 32 = 1024 messages); the adapter primes it once with enqueue() of
//                     4096 messages (which may allocate) and drains them, outside the timed region,
//                     so that try_enqueue afterwards has room for 4096 and never allocates.
//
// Every wait is a busy poll with tp::cpu_relax() (PAUSE), identical for all queues.
//
// BM_Throughput/<Queue>: the benchmark thread (producer, CPU 0) pushes kBatch messages per state
//   iteration; a consumer thread (CPU 1), spawned once per benchmark run (i.e. per call of the
//   function, before the timed loop, with a ready handshake), pops them all. At the end of each
//   iteration the producer waits until the consumer has popped the whole batch, so the iteration's
//   real time covers the full transfer (fill + steady state + drain) of kBatch messages and nothing
//   is left in flight when the timer stops. The handshake costs ~1 us per batch of 2^18 messages
//   (< 0.1% at these rates). items_per_second = messages delivered per second. The consumer checks
//   every message: exch_ts_ns must be the next sequence number and recv_ts_ns its complement (a
//   torn or stale copy fails); on any mismatch, or if the consumer stops receiving, the benchmark
//   reports SkipWithError. Thread creation and queue construction are outside the timed loop.
//
// BM_RoundTrip/<Queue>: ping-pong of one message through two queues of the same type (A: main ->
//   peer, B: peer -> main). One state iteration = one round trip (push to A, peer pops it and pushes
//   it to B, main pops it and checks the sequence), so the reported real time per iteration is the
//   round-trip latency in ns. BM_RoundTrip/BareCacheLine is the floor: two alignas(64)
//   std::atomic<uint64_t> flags, each thread spinning for the other's sequence number -- the
//   minimum cost of moving one cache line there and back between these two CPUs.
//
// Machine note: on a shared 2-vCPU VM producer and consumer each own one vCPU; anything else that
// runs (compiles, the hypervisor) preempts one side and shows up as noise. Use repetitions.
#include <benchmark/benchmark.h>

#include <boost/lockfree/spsc_queue.hpp>
#include <concurrentqueue/concurrentqueue.h>
#include <readerwriterqueue/readerwriterqueue.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "core/types/events.hpp"
#include "core/threads/spsc_ring.hpp"
#include "core/threads/thread_affinity.hpp"
#include "core/threads/wait_strategy.hpp"

namespace {

using tp::MarketEvent;

constexpr std::size_t kCapacity = 4096;
constexpr int kProducerCpu = 0;
constexpr int kConsumerCpu = 1;
constexpr int64_t kBatch = int64_t{1} << 18;  // messages per throughput iteration
constexpr auto kStallTimeout = std::chrono::seconds(2);

// ---------------------------------------------------------------------------------------------
// Queue adapters: push/pop return false when full/empty. Construction happens outside timing.

static_assert(tp::SpscRing<MarketEvent, kCapacity>::turn_in_payload(), "MarketEvent carries the ring's turn byte");
struct SpscRingQ {
  static constexpr const char* kName = "SpscRing";
  std::unique_ptr<tp::SpscRing<MarketEvent, kCapacity>> q = std::make_unique<tp::SpscRing<MarketEvent, kCapacity>>();
  bool push(const MarketEvent& e) noexcept { return q->try_push(e); }
  bool pop(MarketEvent& e) noexcept { return q->try_pop(e); }
};

// The previous tp::SpscRing (index-only design: the consumer polls the producer's head index,
// so each message moves two cache lines, head then slot), kept verbatim for comparison.
template <typename T, std::size_t Capacity>
class SpscRingIndexOnly {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");
  static_assert(std::is_trivially_copyable_v<T>, "ring slots hold plain structs");

 public:
  SpscRingIndexOnly() = default;
  SpscRingIndexOnly(const SpscRingIndexOnly&) = delete;
  SpscRingIndexOnly& operator=(const SpscRingIndexOnly&) = delete;

  static constexpr std::size_t capacity() noexcept { return Capacity; }

  // Producer thread only. False when full.
  bool try_push(const T& value) noexcept {
    const uint64_t head = prod_.head.load(std::memory_order_relaxed);
    if (head - prod_.cached_tail >= Capacity) {
      prod_.cached_tail = cons_.tail.load(std::memory_order_acquire);
      if (head - prod_.cached_tail >= Capacity) return false;
    }
    slots_[head & kMask] = value;
    prod_.head.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only. False when empty.
  bool try_pop(T& out) noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_relaxed);
    if (tail == cons_.cached_head) {
      cons_.cached_head = prod_.head.load(std::memory_order_acquire);
      if (tail == cons_.cached_head) return false;
    }
    out = slots_[tail & kMask];
    cons_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only: the next element without removing it, or nullptr when empty.
  const T* front() noexcept {
    const uint64_t tail = cons_.tail.load(std::memory_order_relaxed);
    if (tail == cons_.cached_head) {
      cons_.cached_head = prod_.head.load(std::memory_order_acquire);
      if (tail == cons_.cached_head) return nullptr;
    }
    return &slots_[tail & kMask];
  }
  // Consumer thread only; only after front() returned non-null.
  void pop() noexcept {
    cons_.tail.store(cons_.tail.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Either thread; approximate while the other side is running.
  bool empty() const noexcept {
    return prod_.head.load(std::memory_order_acquire) == cons_.tail.load(std::memory_order_acquire);
  }
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(prod_.head.load(std::memory_order_acquire) -
                                    cons_.tail.load(std::memory_order_acquire));
  }

 private:
  static constexpr uint64_t kMask = Capacity - 1;

  struct alignas(64) Producer {
    std::atomic<uint64_t> head{0};
    uint64_t cached_tail = 0;
  };
  struct alignas(64) Consumer {
    std::atomic<uint64_t> tail{0};
    uint64_t cached_head = 0;
  };

  Producer prod_;
  Consumer cons_;
  // Value-initialised: zeroing at construction also touches every page before the hot path runs.
  alignas(64) T slots_[Capacity]{};
};


struct SpscRingIndexOnlyQ {
  static constexpr const char* kName = "SpscRingIndexOnly";
  std::unique_ptr<SpscRingIndexOnly<MarketEvent, kCapacity>> q = std::make_unique<SpscRingIndexOnly<MarketEvent, kCapacity>>();
  bool push(const MarketEvent& e) noexcept { return q->try_push(e); }
  bool pop(MarketEvent& e) noexcept { return q->try_pop(e); }
};

// tp::SpscRing for a 64-byte type without a ring_turn byte: the turn goes next to the payload,
// so a slot is two cache lines (128 bytes).
struct alignas(64) EventNoTurn {
  MarketEvent e;
};
static_assert(!tp::RingTurnCarrier<EventNoTurn>);
struct SpscRingSlot128Q {
  static constexpr const char* kName = "SpscRingSlot128";
  using Q = tp::SpscRing<EventNoTurn, kCapacity>;
  std::unique_ptr<Q> q = std::make_unique<Q>();
  bool push(const MarketEvent& e) noexcept { return q->try_push(EventNoTurn{e}); }
  bool pop(MarketEvent& e) noexcept {
    EventNoTurn w;
    if (!q->try_pop(w)) return false;
    e = w.e;
    return true;
  }
};

struct RWQueueQ {
  static constexpr const char* kName = "RWQueue";
  std::unique_ptr<moodycamel::ReaderWriterQueue<MarketEvent>> q =
      std::make_unique<moodycamel::ReaderWriterQueue<MarketEvent>>(kCapacity);
  bool push(const MarketEvent& e) noexcept { return q->try_enqueue(e); }
  bool pop(MarketEvent& e) noexcept { return q->try_dequeue(e); }
};

struct BoostSpscQ {
  static constexpr const char* kName = "BoostSpsc";
  using Q = boost::lockfree::spsc_queue<MarketEvent, boost::lockfree::capacity<kCapacity>>;
  std::unique_ptr<Q> q = std::make_unique<Q>();
  bool push(const MarketEvent& e) noexcept { return q->push(e); }
  bool pop(MarketEvent& e) noexcept { return q->pop(e); }
};

struct ConcurrentQueueQ {
  static constexpr const char* kName = "ConcurrentQueue";
  using Q = moodycamel::ConcurrentQueue<MarketEvent>;
  std::unique_ptr<Q> q = std::make_unique<Q>(kCapacity, 1, 0);
  std::unique_ptr<moodycamel::ProducerToken> tok = std::make_unique<moodycamel::ProducerToken>(*q);  // destroyed first

  ConcurrentQueueQ() {
    // Reserve: grow the explicit producer's block index to cover kCapacity messages, then drain.
    MarketEvent e{};
    for (std::size_t i = 0; i < kCapacity; ++i) q->enqueue(*tok, e);
    while (q->try_dequeue_from_producer(*tok, e)) {
    }
  }
  bool push(const MarketEvent& e) noexcept { return q->try_enqueue(*tok, e); }
  bool pop(MarketEvent& e) noexcept { return q->try_dequeue_from_producer(*tok, e); }
};

// ---------------------------------------------------------------------------------------------

inline MarketEvent make_msg(int64_t seq) noexcept {
  MarketEvent e{};
  e.exch_ts_ns = seq;
  e.recv_ts_ns = ~seq;
  e.book.venue_seq = static_cast<uint64_t>(seq);
  e.kind = tp::EventKind::BookTop;
  return e;
}
inline bool msg_ok(const MarketEvent& e, int64_t seq) noexcept {
  return e.exch_ts_ns == seq && e.recv_ts_ns == ~seq && e.book.venue_seq == static_cast<uint64_t>(seq);
}

// Pins the calling thread; on failure warns once per CPU and runs unpinned.
bool pin(int cpu) {
  const std::string err = tp::pin_current_thread(cpu);
  if (err.empty()) return true;
  static std::atomic<bool> warned[2]{};
  if (!warned[cpu & 1].exchange(true)) std::fprintf(stderr, "spsc_ring_bench: %s (running unpinned)\n", err.c_str());
  return false;
}

void label_pinning(benchmark::State& state, bool main_pinned, bool peer_pinned) {
  if (!main_pinned || !peer_pinned) state.SetLabel("unpinned");
}

// Cross-thread control flags, each on its own line, away from the queues' lines.
struct alignas(64) PaddedI64 {
  std::atomic<int64_t> v{0};
};
struct alignas(64) PaddedBool {
  std::atomic<bool> v{false};
};

// Spins (PAUSE) until pred() holds; false after kStallTimeout (clock read every 64K spins only).
template <typename Pred>
inline bool spin_until(Pred pred) noexcept {
  uint32_t spins = 0;
  std::chrono::steady_clock::time_point start{};
  while (!pred()) {
    tp::cpu_relax();
    if ((++spins & 0xFFFF) == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (spins == 0x10000) start = now;
      else if (now - start > kStallTimeout) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Throughput

template <typename Q>
void BM_Throughput(benchmark::State& state) {
  Q q;
  PaddedI64 batches_done;   // consumer -> producer: batches fully popped
  PaddedI64 bad_seq;        // consumer -> producer: first sequence that failed the check, or -1
  PaddedBool ready;         // consumer is pinned and polling
  PaddedBool abort_flag;    // producer -> consumer: stop now
  PaddedBool peer_pinned;
  bad_seq.v.store(-1, std::memory_order_relaxed);
  const int64_t total_batches = state.max_iterations;

  const bool main_pinned = pin(kProducerCpu);
  std::thread consumer([&] {
    peer_pinned.v.store(pin(kConsumerCpu), std::memory_order_relaxed);
    tp::name_current_thread("bench-consumer");
    ready.v.store(true, std::memory_order_release);
    MarketEvent e;
    int64_t expect = 0;
    bool failed = false;
    for (int64_t b = 0; b < total_batches; ++b) {
      const int64_t end = expect + kBatch;
      while (expect < end) {
        if (q.pop(e)) {
          if (!failed && !msg_ok(e, expect)) [[unlikely]] {
            failed = true;
            bad_seq.v.store(expect, std::memory_order_relaxed);
          }
          ++expect;
        } else {
          if (abort_flag.v.load(std::memory_order_relaxed)) return;
          tp::cpu_relax();
        }
      }
      batches_done.v.store(b + 1, std::memory_order_release);
    }
  });
  while (!ready.v.load(std::memory_order_acquire)) tp::cpu_relax();

  int64_t seq = 0;
  int64_t batch = 0;
  for (auto _ : state) {
    const int64_t end = seq + kBatch;
    for (; seq < end; ++seq) {
      const MarketEvent e = make_msg(seq);
      while (!q.push(e)) tp::cpu_relax();
    }
    ++batch;
    if (!spin_until([&] { return batches_done.v.load(std::memory_order_acquire) >= batch; })) {
      state.SkipWithError("consumer stalled: messages lost");
      break;
    }
  }
  abort_flag.v.store(true, std::memory_order_relaxed);
  consumer.join();

  if (const int64_t bad = bad_seq.v.load(std::memory_order_relaxed); bad >= 0) {
    const std::string msg = "message " + std::to_string(bad) + " arrived out of order or corrupted";
    state.SkipWithError(msg.c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * static_cast<int64_t>(sizeof(MarketEvent)));
  label_pinning(state, main_pinned, peer_pinned.v.load(std::memory_order_relaxed));
}

// ---------------------------------------------------------------------------------------------
// Round trip

template <typename Q>
void BM_RoundTrip(benchmark::State& state) {
  Q a;  // main -> peer
  Q b;  // peer -> main
  PaddedBool ready;
  PaddedBool stop;
  PaddedBool peer_pinned;

  const bool main_pinned = pin(kProducerCpu);
  std::thread peer([&] {
    peer_pinned.v.store(pin(kConsumerCpu), std::memory_order_relaxed);
    tp::name_current_thread("bench-echo");
    ready.v.store(true, std::memory_order_release);
    MarketEvent e;
    for (;;) {
      if (a.pop(e)) {
        while (!b.push(e)) tp::cpu_relax();  // cannot be full: one message in flight
      } else {
        if (stop.v.load(std::memory_order_relaxed)) return;
        tp::cpu_relax();
      }
    }
  });
  while (!ready.v.load(std::memory_order_acquire)) tp::cpu_relax();

  int64_t seq = 0;
  MarketEvent reply;
  for (auto _ : state) {
    if (!a.push(make_msg(seq))) {
      state.SkipWithError("ping queue unexpectedly full");
      break;
    }
    if (!spin_until([&] { return b.pop(reply); })) {
      state.SkipWithError("no reply: message lost");
      break;
    }
    if (!msg_ok(reply, seq)) [[unlikely]] {
      state.SkipWithError("reply out of order or corrupted");
      break;
    }
    ++seq;
  }
  stop.v.store(true, std::memory_order_relaxed);
  peer.join();
  state.SetItemsProcessed(state.iterations());
  label_pinning(state, main_pinned, peer_pinned.v.load(std::memory_order_relaxed));
}

// The floor: one cache line each way, no queue. The peer echoes the sequence it sees in `ping`
// into `pong`; main waits for its own sequence to come back.
void BM_RoundTrip_BareCacheLine(benchmark::State& state) {
  struct alignas(64) Flag {
    std::atomic<uint64_t> v{0};
  };
  Flag ping;
  Flag pong;
  PaddedBool ready;
  PaddedBool stop;
  PaddedBool peer_pinned;

  const bool main_pinned = pin(kProducerCpu);
  std::thread peer([&] {
    peer_pinned.v.store(pin(kConsumerCpu), std::memory_order_relaxed);
    tp::name_current_thread("bench-echo");
    ready.v.store(true, std::memory_order_release);
    uint64_t last = 0;
    for (;;) {
      const uint64_t v = ping.v.load(std::memory_order_acquire);
      if (v != last) {
        pong.v.store(v, std::memory_order_release);
        last = v;
      } else {
        if (stop.v.load(std::memory_order_relaxed)) return;
        tp::cpu_relax();
      }
    }
  });
  while (!ready.v.load(std::memory_order_acquire)) tp::cpu_relax();

  uint64_t seq = 0;
  for (auto _ : state) {
    ++seq;
    ping.v.store(seq, std::memory_order_release);
    if (!spin_until([&] { return pong.v.load(std::memory_order_acquire) == seq; })) {
      state.SkipWithError("no reply");
      break;
    }
  }
  stop.v.store(true, std::memory_order_relaxed);
  peer.join();
  state.SetItemsProcessed(state.iterations());
  label_pinning(state, main_pinned, peer_pinned.v.load(std::memory_order_relaxed));
}

// Real time: the benchmark thread's CPU time would miss time spent preempted, and both threads
// spin anyway. MinTime keeps each repetition short; the whole binary with 3 repetitions runs in
// well under a minute.
constexpr double kMinTime = 0.3;

#define TP_THROUGHPUT(Q) \
  BENCHMARK_TEMPLATE(BM_Throughput, Q)->Name(std::string("BM_Throughput/") + Q::kName)->UseRealTime()->MinTime(kMinTime)
#define TP_ROUNDTRIP(Q) \
  BENCHMARK_TEMPLATE(BM_RoundTrip, Q)->Name(std::string("BM_RoundTrip/") + Q::kName)->UseRealTime()->MinTime(kMinTime)

TP_THROUGHPUT(SpscRingQ);
TP_THROUGHPUT(SpscRingIndexOnlyQ);
TP_THROUGHPUT(SpscRingSlot128Q);
TP_THROUGHPUT(RWQueueQ);
TP_THROUGHPUT(BoostSpscQ);
TP_THROUGHPUT(ConcurrentQueueQ);

TP_ROUNDTRIP(SpscRingQ);
TP_ROUNDTRIP(SpscRingIndexOnlyQ);
TP_ROUNDTRIP(SpscRingSlot128Q);
TP_ROUNDTRIP(RWQueueQ);
TP_ROUNDTRIP(BoostSpscQ);
TP_ROUNDTRIP(ConcurrentQueueQ);
BENCHMARK(BM_RoundTrip_BareCacheLine)->Name("BM_RoundTrip/BareCacheLine")->UseRealTime()->MinTime(kMinTime);

}  // namespace

BENCHMARK_MAIN();

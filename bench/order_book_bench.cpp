// tp::OrderBook (core/book/order_book.hpp: per side, a price ladder of 65,536 grid steps near the
// touch over a sorted store for the levels beyond it) and that store alone, tp::BlockedBook
// (core/book/blocked_book.hpp: blocks of at most 16 sorted levels under a directory of block
// maxima; OrderBook's whole layout before the ladder), against what a user would write instead: a std::map per side (bids std::map<Fixed, Fixed,
// std::greater<Fixed>>, asks std::map<Fixed, Fixed>, best = begin()),
// written as an expert would (try_emplace then assign when present, erase(key) for qty 0,
// emplace_hint(end()) when loading a best-first snapshot).
//
// Input: real Binance BTCUSDT depth captures (tests/data/binance/, gzip, one `<recv ns> <json>` per
// line): spot (`depth@100ms` diffs, REST snapshot of 1000 levels a side on line 4) and USD-M
// futures (`depth@0ms`, snapshot on line 7). Read with zlib and parsed with nlohmann::json at setup,
// outside timing, into plain vectors: the snapshot's levels and, per diff that follows the snapshot
// in the file, its (side, px, qty) level updates (bids first, then asks, as the engine applies
// them). Every diff after the snapshot is used, in file order.
//
// The books run the same driver code through a small adapter (OrderBookAdapter, BlockedBookAdapter,
// MapBookAdapter).
//   BM_BookApplyDiffs<Book>/<data>  The book holds the snapshot before the loop. One iteration
//       applies every diff forward, then the inverse updates (each level set back to the quantity
//       it had before, recorded at setup, 0 = remove) in reverse order, which restores the
//       snapshot state exactly, so every iteration starts from the same realistic book. After each
//       diff (forward) and each diff's inverse, the best bid and ask are read (the touch feeds the
//       marks) and kept with DoNotOptimize. ns_per_level = time / level updates applied.
//   BM_BookBestPrice<Book>/<data>   best bid + best ask of the snapshot-loaded book; one iteration
//       = one pair of queries (ns_per_query is per pair).
//   BM_BookLoadSnapshot<Book>/<data> clear(), then load the 1000 + 1000 level snapshot (a resync).
//       tp books: worst level first, as BinanceBookSync::on_snapshot does (every insert goes past
//       the best level); map: best first with emplace_hint(end()) (best first is ascending in the map's
//       order on both sides, so each hint is exact).
//
// Correctness is checked at setup (the program stops with a message otherwise): the snapshot loads
// identically into both books; every forward update's LevelChange agrees with the map's state
// (never DroppedFull/InsertedEvicting: capacity 5000 a side); after all diffs both books hold the
// same levels (every level compared); after the inverse updates both hold the snapshot again.
// Each benchmark also compares its book with the expected levels after timing.
//
// Counters: allocs_per_iter (global operator new calls in the timed loop / iterations, counted by
// bench/counting_allocator.hpp; a tp book must be 0, the benchmark fails otherwise),
// ns_per_level / ns_per_query (real time), and for ApplyDiffs the data's shape: diffs,
// levels_per_iter, share of updates that insert / change / remove / remove an absent level, and
// mean_k_ins_rm (mean number of better levels between an inserted or removed level and the touch,
// i.e. how many elements per array a single sorted array with the best at the back, OrderBook's
// first layout, would shift).
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "bench/counting_allocator.hpp"
#include "core/book/order_book.hpp"
#include "core/types/decimal.hpp"
#include "core/types/events.hpp"

namespace {

using tp::Fixed;
using tp::PriceLevel;
using tp::Side;

constexpr std::size_t kCapacity = 5000;

// ---- data --------------------------------------------------------------------------------------

struct Update {
  Side side;
  Fixed px;
  Fixed qty;  // 0 = remove
};

struct Dataset {
  std::string name;
  std::vector<PriceLevel> snap_bids;  // best first, as the venue sends them (qty 0 dropped)
  std::vector<PriceLevel> snap_asks;
  std::vector<Update> fwd;            // every diff's updates, in order
  std::vector<uint32_t> fwd_end;      // end index in fwd of each diff
  std::vector<Update> inv;            // the inverse updates, in the order they are applied
  std::vector<uint32_t> inv_end;      // end index in inv of each diff's inverse
  std::vector<PriceLevel> after_bids;  // the book after all forward diffs, best first
  std::vector<PriceLevel> after_asks;
  // Shape of the forward updates (reported as counters).
  std::size_t inserts = 0, changes = 0, removes = 0, absent_removes = 0;
  double mean_k_ins_rm = 0;
};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::vector<std::string> read_gz_lines(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) fail("cannot open " + path);
  std::vector<std::string> lines;
  std::string line;
  std::vector<char> buf(1 << 16);
  while (gzgets(f, buf.data(), static_cast<int>(buf.size())) != nullptr) {
    line.append(buf.data());
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      lines.push_back(std::move(line));
      line.clear();
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const bool bad = err != Z_OK && err != Z_STREAM_END;
  const std::string err_text = bad ? msg : "";
  gzclose(f);
  if (bad) fail(path + ": " + err_text);
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

Fixed to_fixed(const nlohmann::json& s) {
  Fixed v = 0;
  const auto& str = s.get_ref<const std::string&>();
  if (!tp::parse_fixed(str, v)) fail("bad decimal \"" + str + "\"");
  return v;
}

void read_levels(const nlohmann::json& arr, Side side, std::vector<Update>& out) {
  for (const auto& lv : arr) out.push_back({side, to_fixed(lv.at(0)), to_fixed(lv.at(1))});
}

// ---- the two books, behind the same interface ----------------------------------------------------

template <class TpBook>
struct TpBookAdapter {
  TpBook book{kCapacity};

  void clear() noexcept { book.clear(); }
  void apply(Side s, Fixed px, Fixed qty) noexcept { book.apply(s, px, qty); }
  PriceLevel best_bid() const noexcept { return book.best_bid(); }
  PriceLevel best_ask() const noexcept { return book.best_ask(); }
  // Snapshot lists are best first; worst first appends at the back (BinanceBookSync::on_snapshot).
  void load(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks) noexcept {
    for (std::size_t i = bids.size(); i-- > 0;) book.apply(Side::Buy, bids[i].px, bids[i].qty);
    for (std::size_t i = asks.size(); i-- > 0;) book.apply(Side::Sell, asks[i].px, asks[i].qty);
  }
  std::vector<PriceLevel> levels(Side s) const {
    std::vector<PriceLevel> v;
    for (std::size_t k = 0; k < book.depth(s); ++k) v.push_back(book.level(s, k));
    return v;
  }
};
struct OrderBookAdapter : TpBookAdapter<tp::OrderBook> {
  static constexpr const char* kName = "OrderBook";
};
// OrderBook's sorted store on its own (its whole layout before the price ladder).
struct BlockedBookAdapter : TpBookAdapter<tp::BlockedBook> {
  static constexpr const char* kName = "BlockedBook";
};

struct MapBookAdapter {
  static constexpr const char* kName = "StdMap";
  std::map<Fixed, Fixed, std::greater<Fixed>> bids;  // begin() = highest bid
  std::map<Fixed, Fixed> asks;                       // begin() = lowest ask

  template <class M>
  static void set(M& m, Fixed px, Fixed qty) {
    if (qty == 0) {
      m.erase(px);
      return;
    }
    auto [it, inserted] = m.try_emplace(px, qty);
    if (!inserted) it->second = qty;
  }
  void clear() noexcept {
    bids.clear();
    asks.clear();
  }
  void apply(Side s, Fixed px, Fixed qty) {
    if (s == Side::Buy)
      set(bids, px, qty);
    else
      set(asks, px, qty);
  }
  PriceLevel best_bid() const noexcept {
    const auto it = bids.begin();
    return {it->first, it->second};
  }
  PriceLevel best_ask() const noexcept {
    const auto it = asks.begin();
    return {it->first, it->second};
  }
  // Best first is ascending in each map's own order: every hint is exactly right.
  void load(const std::vector<PriceLevel>& b, const std::vector<PriceLevel>& a) {
    for (const auto& l : b) bids.emplace_hint(bids.end(), l.px, l.qty);
    for (const auto& l : a) asks.emplace_hint(asks.end(), l.px, l.qty);
  }
  std::vector<PriceLevel> levels(Side s) const {
    std::vector<PriceLevel> v;
    if (s == Side::Buy)
      for (const auto& [px, q] : bids) v.push_back({px, q});
    else
      for (const auto& [px, q] : asks) v.push_back({px, q});
    return v;
  }
  Fixed qty_at(Side s, Fixed px) const {
    if (s == Side::Buy) {
      const auto it = bids.find(px);
      return it == bids.end() ? 0 : it->second;
    }
    const auto it = asks.find(px);
    return it == asks.end() ? 0 : it->second;
  }
  // Levels strictly better than px on side s (px's distance from the touch).
  std::size_t better_than(Side s, Fixed px) const {
    if (s == Side::Buy) return static_cast<std::size_t>(std::distance(bids.begin(), bids.lower_bound(px)));
    return static_cast<std::size_t>(std::distance(asks.begin(), asks.lower_bound(px)));
  }
};

template <class A, class B>
void expect_same(const A& a, const B& b, const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks,
                 const std::string& where) {
  if (a.levels(Side::Buy) != bids || a.levels(Side::Sell) != asks) fail(where + ": " + A::kName + " levels differ");
  if (b.levels(Side::Buy) != bids || b.levels(Side::Sell) != asks) fail(where + ": " + B::kName + " levels differ");
}

// Loads one capture and checks both books against each other (see the header comment).
Dataset load_dataset(const std::string& name, const std::string& file) {
  Dataset d;
  d.name = name;
  const auto lines = read_gz_lines(std::string(TP_SOURCE_DIR) + "/tests/data/binance/" + file);
  bool have_snapshot = false;
  std::vector<Update> tmp;
  for (const auto& line : lines) {
    const auto sp = line.find(' ');
    if (sp == std::string::npos) fail(file + ": line without a timestamp");
    const auto j = nlohmann::json::parse(std::string_view(line).substr(sp + 1));
    if (j.contains("lastUpdateId")) {
      if (have_snapshot) fail(file + ": two snapshots");
      have_snapshot = true;
      for (Side s : {Side::Buy, Side::Sell}) {
        tmp.clear();
        read_levels(j.at(s == Side::Buy ? "bids" : "asks"), s, tmp);
        auto& out = s == Side::Buy ? d.snap_bids : d.snap_asks;
        for (const auto& u : tmp)
          if (u.qty != 0) out.push_back({u.px, u.qty});
      }
      continue;
    }
    const auto& data = j.at("data");
    if (data.at("e") != "depthUpdate") fail(file + ": not a depthUpdate");
    if (!have_snapshot) continue;  // before the snapshot: not part of the replay
    read_levels(data.at("b"), Side::Buy, d.fwd);
    read_levels(data.at("a"), Side::Sell, d.fwd);
    d.fwd_end.push_back(static_cast<uint32_t>(d.fwd.size()));
  }
  if (!have_snapshot || d.fwd_end.empty()) fail(file + ": no snapshot or no diffs after it");

  // Snapshot: both books load it identically.
  auto ob = std::make_unique<OrderBookAdapter>();
  MapBookAdapter mb;
  ob->load(d.snap_bids, d.snap_asks);
  mb.load(d.snap_bids, d.snap_asks);
  expect_same(*ob, mb, d.snap_bids, d.snap_asks, name + " snapshot");

  // Forward: record each level's previous quantity; the LevelChange must agree with the map.
  std::vector<Fixed> prev(d.fwd.size());
  double k_sum = 0;
  std::size_t i = 0;
  for (const uint32_t end : d.fwd_end) {
    for (; i < end; ++i) {
      const Update& u = d.fwd[i];
      prev[i] = mb.qty_at(u.side, u.px);
      const tp::LevelChange c = ob->book.apply(u.side, u.px, u.qty);
      tp::LevelChange want;
      if (u.qty == 0)
        want = prev[i] == 0 ? tp::LevelChange::RemovedAbsent : tp::LevelChange::Removed;
      else
        want = prev[i] == 0 ? tp::LevelChange::Inserted : tp::LevelChange::Changed;
      if (c != want) fail(name + ": OrderBook::apply gave an unexpected LevelChange at update " + std::to_string(i));
      if (want == tp::LevelChange::Inserted || want == tp::LevelChange::Removed) k_sum += static_cast<double>(mb.better_than(u.side, u.px));
      d.inserts += want == tp::LevelChange::Inserted;
      d.changes += want == tp::LevelChange::Changed;
      d.removes += want == tp::LevelChange::Removed;
      d.absent_removes += want == tp::LevelChange::RemovedAbsent;
      mb.apply(u.side, u.px, u.qty);
    }
    if (mb.bids.empty() || mb.asks.empty()) fail(name + ": a side became empty (best price undefined)");
  }
  d.mean_k_ins_rm = k_sum / static_cast<double>(d.inserts + d.removes);
  d.after_bids = mb.levels(Side::Buy);
  d.after_asks = mb.levels(Side::Sell);
  expect_same(*ob, mb, d.after_bids, d.after_asks, name + " after all diffs");

  // Inverse: each diff's updates backwards, the diffs backwards, each level back to its old quantity.
  for (std::size_t m = d.fwd_end.size(); m-- > 0;) {
    const uint32_t begin = m == 0 ? 0 : d.fwd_end[m - 1];
    for (uint32_t k = d.fwd_end[m]; k-- > begin;) d.inv.push_back({d.fwd[k].side, d.fwd[k].px, prev[k]});
    d.inv_end.push_back(static_cast<uint32_t>(d.inv.size()));
  }
  std::size_t n = 0;
  for (const uint32_t end : d.inv_end) {
    for (; n < end; ++n) {
      ob->apply(d.inv[n].side, d.inv[n].px, d.inv[n].qty);
      mb.apply(d.inv[n].side, d.inv[n].px, d.inv[n].qty);
    }
    if (mb.bids.empty() || mb.asks.empty()) fail(name + ": a side became empty during the inverse");
  }
  expect_same(*ob, mb, d.snap_bids, d.snap_asks, name + " after the inverse");
  return d;
}

// ---- driver --------------------------------------------------------------------------------------

template <class Book>
inline void replay(Book& b, const std::vector<Update>& ups, const std::vector<uint32_t>& ends) {
  const Update* u = ups.data();
  std::size_t i = 0;
  for (const uint32_t end : ends) {
    for (; i < end; ++i) b.apply(u[i].side, u[i].px, u[i].qty);
    PriceLevel bid = b.best_bid();
    PriceLevel ask = b.best_ask();
    benchmark::DoNotOptimize(bid);
    benchmark::DoNotOptimize(ask);
  }
}

template <class Book>
bool holds(const Book& b, const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks) {
  return b.levels(Side::Buy) == bids && b.levels(Side::Sell) == asks;
}

template <class Book>
void finish(benchmark::State& state, uint64_t allocs, double units_per_iter, const char* unit_counter) {
  const auto iters = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(units_per_iter * iters));
  state.counters[unit_counter] =
      benchmark::Counter(units_per_iter * iters, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_iter"] = static_cast<double>(allocs) / iters;
  if (!std::is_same_v<Book, MapBookAdapter> && allocs != 0) state.SkipWithError("a tp book allocated in the timed loop");
}

template <class Book>
void BM_BookApplyDiffs(benchmark::State& state, const Dataset* d) {
  auto b = std::make_unique<Book>();
  b->load(d->snap_bids, d->snap_asks);
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    replay(*b, d->fwd, d->fwd_end);
    replay(*b, d->inv, d->inv_end);
  }
  const uint64_t allocs = tp::bench::allocations() - a0;
  const double levels = static_cast<double>(d->fwd.size() + d->inv.size());
  finish<Book>(state, allocs, levels, "ns_per_level");
  state.counters["diffs"] = static_cast<double>(d->fwd_end.size());
  state.counters["levels_per_iter"] = levels;
  const auto n = static_cast<double>(d->fwd.size());
  state.counters["ins_share"] = static_cast<double>(d->inserts) / n;
  state.counters["chg_share"] = static_cast<double>(d->changes) / n;
  state.counters["rm_share"] = static_cast<double>(d->removes) / n;
  state.counters["rm_absent_share"] = static_cast<double>(d->absent_removes) / n;
  state.counters["mean_k_ins_rm"] = d->mean_k_ins_rm;
  if (!holds(*b, d->snap_bids, d->snap_asks)) state.SkipWithError("book is not back at the snapshot after the run");
}

template <class Book>
void BM_BookBestPrice(benchmark::State& state, const Dataset* d) {
  auto b = std::make_unique<Book>();
  b->load(d->snap_bids, d->snap_asks);
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    PriceLevel bid = b->best_bid();
    PriceLevel ask = b->best_ask();
    benchmark::DoNotOptimize(bid);
    benchmark::DoNotOptimize(ask);
  }
  const uint64_t allocs = tp::bench::allocations() - a0;
  finish<Book>(state, allocs, 1.0, "ns_per_query");
  const PriceLevel bid = b->best_bid(), ask = b->best_ask();
  if (bid != d->snap_bids.front() || ask != d->snap_asks.front()) state.SkipWithError("wrong best price");
}

template <class Book>
void BM_BookLoadSnapshot(benchmark::State& state, const Dataset* d) {
  auto b = std::make_unique<Book>();
  const uint64_t a0 = tp::bench::allocations();
  for (auto _ : state) {
    b->clear();
    b->load(d->snap_bids, d->snap_asks);
    benchmark::ClobberMemory();
  }
  const uint64_t allocs = tp::bench::allocations() - a0;
  finish<Book>(state, allocs, static_cast<double>(d->snap_bids.size() + d->snap_asks.size()), "ns_per_level");
  if (!holds(*b, d->snap_bids, d->snap_asks)) state.SkipWithError("snapshot not loaded correctly");
}

template <class Book>
std::string bench_name(const char* what, const Dataset* d) {
  return std::string(what) + "<" + Book::kName + ">/" + d->name;
}

// Ours and the map next to each other, per benchmark and data set.
void register_all(const Dataset* d) {
  using O = OrderBookAdapter;
  using M = MapBookAdapter;
  using B = BlockedBookAdapter;
  benchmark::RegisterBenchmark(bench_name<O>("BM_BookApplyDiffs", d).c_str(), BM_BookApplyDiffs<O>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<B>("BM_BookApplyDiffs", d).c_str(), BM_BookApplyDiffs<B>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<M>("BM_BookApplyDiffs", d).c_str(), BM_BookApplyDiffs<M>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<O>("BM_BookBestPrice", d).c_str(), BM_BookBestPrice<O>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<B>("BM_BookBestPrice", d).c_str(), BM_BookBestPrice<B>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<M>("BM_BookBestPrice", d).c_str(), BM_BookBestPrice<M>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<O>("BM_BookLoadSnapshot", d).c_str(), BM_BookLoadSnapshot<O>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<B>("BM_BookLoadSnapshot", d).c_str(), BM_BookLoadSnapshot<B>, d)->UseRealTime();
  benchmark::RegisterBenchmark(bench_name<M>("BM_BookLoadSnapshot", d).c_str(), BM_BookLoadSnapshot<M>, d)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Dataset> data;
  try {
    data.push_back(load_dataset("spot", "spot_btcusdt_20240808_depth1500.txt.gz"));
    data.push_back(load_dataset("usdm", "usdm_btcusdt_20240808_depth1000.txt.gz"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order_book_bench: setup failed: %s\n", e.what());
    return 1;
  }
  for (const Dataset& d : data) register_all(&d);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

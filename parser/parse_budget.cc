#include "parser/parse_budget.h"

#include <time.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>

namespace gc {
namespace {

// gumbo's blocks come from an arena of chunks, each chunk's header linking it to the one before, so that a
// parse, finished or abandoned (its tree half built and its own pointers in frames the jump discarded),
// is freed chunk by chunk. gumbo frees little before the parse ends (the tree is most of what it asks for),
// so freeing nothing until then costs little memory and saves malloc and free their ~0.2 ms a page (bench/
// RESULTS.md, "2026-12-07": 9 % of a recursive crawl's CPU). 16 bytes keep malloc's alignment behind it.
struct Chunk {
  Chunk* previous;
  size_t size;  // bytes after the header
};
static_assert(sizeof(Chunk) % alignof(std::max_align_t) == 0);
constexpr size_t kAlign = alignof(std::max_align_t);
constexpr size_t kFirstChunk = size_t(64) << 10;  // doubling to kLargestChunk: a small <head> costs one
constexpr size_t kLargestChunk = size_t(1) << 20;

double Seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// CLOCK_THREAD_CPUTIME_ID is a system call (1.3 us on our VM; vDSO serves only the wall clocks), too
// dear for each of the ~10 million blocks a second gumbo asks for, and even once per parse it added 25%
// to a 6 us <head> parse. A thread's CPU time cannot advance faster than the wall clock, so the CPU clock
// is read only once kCpuCheckWall of wall time (vDSO, ~60 ns, read every kWallCheckEvery blocks) has
// passed since the last reading, the first time kCpuCheckWall into the parse, whose CPU time until then
// is charged as kCpuCheckWall. The cap is thus overshot by at most about kCpuCheckWall, and a parse done
// in under kCpuCheckWall never makes the system call.
constexpr uint32_t kWallCheckEvery = 16;
constexpr double kCpuCheckWall = 0.002;

}  // namespace

struct BudgetedParse::State {
  ParseBudget budget;
  GumboOptions options = kGumboDefaultOptions;
  Chunk* chunks = nullptr;  // the newest; each links to the one before
  char* cursor = nullptr;   // the free part of the newest chunk
  size_t left = 0;
  size_t next_chunk = kFirstChunk;
  size_t held = 0;  // bytes of all chunks: what the budget's memory cap counts
  uint32_t until_wall_check = kWallCheckEvery;
  double cpu_deadline = -1;   // thread CPU time; < 0 until the first reading
  double next_cpu_check = 0;  // wall time
  ParseStop stop = ParseStop::kNone;
  std::jmp_buf jump;

  // Leaves the parse: back to ParseOrStop's setjmp, through gumbo's C frames only (no destructor is
  // skipped). The blocks stay in the arena for ~BudgetedParse.
  [[noreturn]] void Stop(ParseStop why) {
    stop = why;
    std::longjmp(jump, 1);
  }

  void CheckTime() {
    until_wall_check = kWallCheckEvery;
    double wall = Seconds(CLOCK_MONOTONIC);
    if (wall < next_cpu_check) return;
    next_cpu_check = wall + kCpuCheckWall;
    double cpu = Seconds(CLOCK_THREAD_CPUTIME_ID);
    if (cpu_deadline < 0) {
      cpu_deadline = cpu + budget.max_cpu_s - kCpuCheckWall;  // the time before it charged in full
    } else if (cpu > cpu_deadline) {
      Stop(ParseStop::kCpu);
    }
  }

  static void* Allocate(void* userdata, size_t size) {
    auto* s = static_cast<State*>(userdata);
    if (s->budget.cancel && s->budget.cancel->load(std::memory_order_relaxed)) s->Stop(ParseStop::kCancelled);
    if (--s->until_wall_check == 0) s->CheckTime();
    if (size > s->budget.max_bytes) s->Stop(ParseStop::kMemory);
    size = (size + kAlign - 1) & ~(kAlign - 1);
    if (size > s->left) {
      size_t bytes = std::max(size, s->next_chunk);
      if (s->held + bytes > s->budget.max_bytes) s->Stop(ParseStop::kMemory);
      auto* c = static_cast<Chunk*>(std::malloc(sizeof(Chunk) + bytes));
      if (!c) s->Stop(ParseStop::kMemory);
      *c = Chunk{s->chunks, bytes};
      s->chunks = c;
      s->cursor = reinterpret_cast<char*>(c + 1);
      s->left = bytes;
      s->held += bytes;
      s->next_chunk = std::min(s->next_chunk * 2, kLargestChunk);
    }
    void* block = s->cursor;
    s->cursor += size;
    s->left -= size;
    return block;
  }

  // Nothing until the parse is over (~BudgetedParse frees the chunks).
  static void Deallocate(void*, void*) {}

  // The setjmp's frame: it holds no object with a destructor and changes no local after setjmp (C11
  // 7.13.2.1: such locals are indeterminate after the jump), so the jump loses nothing.
  static GumboOutput* ParseOrStop(State* s, const char* html, size_t size) {
    if (setjmp(s->jump) != 0) return nullptr;
    return gumbo_parse_with_options(&s->options, html, size);
  }
};

ParseBudget BudgetFor(size_t bytes) {
  ParseBudget b;
  b.max_bytes = std::clamp(bytes * 32, kMinParseMemory, kMaxParseMemory);
  b.max_cpu_s = 0.5 + 0.25 * double(bytes) / double(1 << 20);
  return b;
}

BudgetedParse::BudgetedParse(std::string_view html, const ParseBudget& budget) : state_(std::make_unique<State>()) {
  State* s = state_.get();
  s->budget = budget;
  s->options.allocator = &State::Allocate;
  s->options.deallocator = &State::Deallocate;
  s->options.userdata = s;
  s->options.max_errors = 0;  // gumbo copies the open-element stack into every error: quadratic memory
  s->next_cpu_check = Seconds(CLOCK_MONOTONIC) + kCpuCheckWall;
  output_ = State::ParseOrStop(s, html.data(), html.size());
}

BudgetedParse::~BudgetedParse() {
  // The tree is freed with its chunks, not by gumbo_destroy_output: an abandoned parse has no tree to walk.
  for (Chunk* c = state_->chunks; c;) {
    Chunk* previous = c->previous;
    std::free(c);
    c = previous;
  }
}

ParseStop BudgetedParse::stop() const { return state_->stop; }
size_t BudgetedParse::peak_bytes() const { return state_->held; }

}  // namespace gc

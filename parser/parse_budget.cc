#include "parser/parse_budget.h"

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>

namespace gc {
namespace {

// Every block gumbo holds is on a list, so that an abandoned parse (whose tree is half built and whose
// own pointers live in frames the jump discarded) can still be freed whole. 16 bytes keep malloc's
// alignment for the block behind the header.
struct BlockHeader {
  BlockHeader* prev;
  BlockHeader* next;
};
static_assert(sizeof(BlockHeader) % alignof(std::max_align_t) == 0);

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
  BlockHeader blocks{&blocks, &blocks};  // sentinel of a circular list
  size_t live = 0;
  size_t peak = 0;
  uint32_t until_wall_check = kWallCheckEvery;
  double cpu_deadline = -1;   // thread CPU time; < 0 until the first reading
  double next_cpu_check = 0;  // wall time
  ParseStop stop = ParseStop::kNone;
  std::jmp_buf jump;

  // Leaves the parse: back to ParseOrStop's setjmp, through gumbo's C frames only (no destructor is
  // skipped). The blocks stay on the list for ~BudgetedParse.
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
    void* raw = std::malloc(sizeof(BlockHeader) + size);
    if (!raw) s->Stop(ParseStop::kMemory);
    size_t bytes = malloc_usable_size(raw);
    if (s->live + bytes > s->budget.max_bytes) {
      std::free(raw);
      s->Stop(ParseStop::kMemory);
    }
    s->live += bytes;
    s->peak = std::max(s->peak, s->live);
    auto* h = static_cast<BlockHeader*>(raw);
    h->prev = &s->blocks;
    h->next = s->blocks.next;
    s->blocks.next->prev = h;
    s->blocks.next = h;
    return h + 1;
  }

  static void Deallocate(void* userdata, void* block) {
    if (!block) return;
    auto* s = static_cast<State*>(userdata);
    auto* h = static_cast<BlockHeader*>(block) - 1;
    h->prev->next = h->next;
    h->next->prev = h->prev;
    s->live -= malloc_usable_size(h);
    std::free(h);
  }

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
  // The tree is freed block by block from the list, not by gumbo_destroy_output: the same blocks, and
  // an abandoned parse has no tree to walk.
  BlockHeader* end = &state_->blocks;
  for (BlockHeader* h = end->next; h != end;) {
    BlockHeader* next = h->next;
    std::free(h);
    h = next;
  }
}

ParseStop BudgetedParse::stop() const { return state_->stop; }
size_t BudgetedParse::peak_bytes() const { return state_->peak; }

}  // namespace gc

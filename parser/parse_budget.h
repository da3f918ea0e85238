// BudgetedParse: one gumbo parse that keeps to a budget of memory and CPU time. gumbo 0.10.1 has no
// limits of its own and parts of its tree building are quadratic (issue 30: 500 formatting elements
// reconstructed in every <p>, each attribute compared with every earlier one), so every block it asks
// for goes through GumboOptions' allocator hooks: they hand out blocks from an arena freed whole when the
// parse is over, count its bytes and the thread's CPU time, and abandon the parse when either passes its
// cap. Any thread; one object per parse, used by one thread.
#pragma once

#include <gumbo.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string_view>

namespace gc {

struct ParseBudget {
  size_t max_bytes = 0;   // bytes of arena the parse may use (what gumbo frees is not reused before the end)
  double max_cpu_s = 0;   // CPU time of the calling thread for this parse
  const std::atomic<bool>* cancel = nullptr;  // when it turns true the parse stops (a crawl's hard stop)
};

// The budget ParsePage gives gumbo for `bytes` of input. Normal pages hold 2-15 times their size in
// gumbo's tree (dense markup the most) and parse at ~20 MB/s, so both caps leave them ample room:
// memory 32 bytes per input byte, at least 32 MiB, at most 256 MiB; CPU 0.5 s + 0.25 s per MiB (at
// most 4.5 s for kMaxParseBytes).
inline constexpr size_t kMinParseMemory = size_t(32) << 20;
inline constexpr size_t kMaxParseMemory = size_t(256) << 20;
ParseBudget BudgetFor(size_t bytes);

enum class ParseStop { kNone, kMemory, kCpu, kCancelled };

class BudgetedParse {
 public:
  // Parses `html` now. Never throws for the input; allocation failure counts as the memory cap.
  BudgetedParse(std::string_view html, const ParseBudget& budget);
  // Frees the whole arena: the tree, and the blocks of an abandoned parse.
  ~BudgetedParse();
  BudgetedParse(const BudgetedParse&) = delete;
  BudgetedParse& operator=(const BudgetedParse&) = delete;

  // The tree; null when the parse stopped (stop() says why).
  const GumboOutput* output() const { return output_; }
  ParseStop stop() const;
  size_t peak_bytes() const;  // the arena's bytes when the parse ended or stopped

 private:
  struct State;
  std::unique_ptr<State> state_;
  GumboOutput* output_ = nullptr;
};

}  // namespace gc

#include "greenlet/hub.h"

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace gc {
namespace {
thread_local Hub* tls_hub = nullptr;
}

void GreenletCore::Finish(GreenletStatus how, std::exception_ptr error) {
  status = how;
  exception = std::move(error);
  joiners->WakeAll();
}

// ---- Waiter / WaitList ----------------------------------------------------------------------------

Waiter::~Waiter() {
  if (list_ && !woken_) {
    list_->Remove(this);
  } else if (list_ && woken_ && !consumed_) {
    // Woken, then killed before it ran: hand the wake-up to the next waiter.
    list_->WakeOne();
  }
}

WaitList::~WaitList() {
  while (head_) Remove(head_);
}

void WaitList::Add(Waiter* w) {
  w->list_ = this;
  w->prev_ = tail_;
  w->next_ = nullptr;
  if (tail_) {
    tail_->next_ = w;
  } else {
    head_ = w;
  }
  tail_ = w;
}

void WaitList::Remove(Waiter* w) {
  if (w->prev_) {
    w->prev_->next_ = w->next_;
  } else {
    head_ = w->next_;
  }
  if (w->next_) {
    w->next_->prev_ = w->prev_;
  } else {
    tail_ = w->prev_;
  }
  w->prev_ = w->next_ = nullptr;
  w->list_ = nullptr;
}

bool WaitList::WakeOne() {
  Waiter* w = head_;
  if (!w) return false;
  Remove(w);
  w->list_ = this;  // remembered so that an unconsumed wake-up can be passed on
  w->woken_ = true;
  w->ticket_.greenlet->hub->Wake(w->ticket_);
  return true;
}

void WaitList::WakeAll() {
  while (WakeOne()) {
  }
}

// ---- Hub ------------------------------------------------------------------------------------------

Hub::Hub() {
  if (tls_hub) throw std::logic_error("one Hub per thread");
  int rc = uv_loop_init(&loop_);
  if (rc != 0) throw std::runtime_error(std::string("uv_loop_init: ") + uv_strerror(rc));
  idle_ = UvHandle<uv_idle_t>(&loop_, uv_idle_init);
  idle_->data = this;
  tls_hub = this;
}

Hub::~Hub() {
  int rc = Close();
  if (rc != 0) {
    // A handle outlived its owner: a bug that would leak or crash later. Say which, loudly.
    std::fprintf(stderr, "greencrawl: uv_loop_close failed (%s); open handles:\n", uv_strerror(rc));
    uv_print_all_handles(&loop_, stderr);
  }
  if (tls_hub == this) tls_hub = nullptr;
}

Hub& Hub::Current() {
  if (!tls_hub) throw std::logic_error("no Hub on this thread");
  return *tls_hub;
}

void Hub::Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

int Hub::Close() {
  if (closed_) return 0;
  // Killing runs the greenlets' destructors, which close their handles; killing one may finish others.
  while (!live_.empty()) Kill(live_.begin()->first);
  ready_.clear();
  idle_.Close();
  // Let close callbacks and queued thread-pool work finish.
  uv_run(&loop_, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&loop_);
  closed_ = (rc == 0);
  return rc;
}

WakeTicket Hub::Park(std::coroutine_handle<> h) {
  if (!current_) throw std::logic_error("only a greenlet can wait (call it from inside Spawn)");
  current_->resume_at = h;
  current_->parked = true;
  return WakeTicket{current_, ++current_->park_seq};
}

void Hub::Wake(const WakeTicket& t) {
  GreenletCore* g = t.greenlet;
  if (!g || !g->parked || g->park_seq != t.seq || g->queued) return;
  Enqueue(g);
}

void Hub::Enqueue(GreenletCore* g) {
  auto it = live_.find(g);
  if (it == live_.end()) return;
  g->queued = true;
  if (ready_.empty()) uv_idle_start(idle_.get(), &Hub::OnIdle);
  ready_.push_back(it->second);
}

void Hub::Adopt(std::shared_ptr<GreenletCore> g) {
  g->hub = this;
  g->resume_at = g->frame;
  g->parked = true;
  GreenletCore* raw = g.get();
  live_.emplace(raw, std::move(g));
  Enqueue(raw);
}

void Hub::OnIdle(uv_idle_t* idle) { static_cast<Hub*>(idle->data)->Drain(); }

void Hub::Drain() {
  // Only greenlets queued before this pass run in it: a greenlet that yields goes to the next pass, so
  // every ready greenlet gets a turn (A0 B0 C0 A1 B1 C1 ...) and I/O is polled between passes.
  std::deque<std::shared_ptr<GreenletCore>> batch;
  batch.swap(ready_);
  for (auto& g : batch) {
    g->queued = false;
    if (!g->parked || g->done()) continue;
    g->parked = false;
    current_ = g.get();
    g->resume_at.resume();
    current_ = nullptr;
    if (g->frame && g->frame.done()) Retire(g.get());
  }
  if (ready_.empty() && idle_) uv_idle_stop(idle_.get());
}

void Hub::Retire(GreenletCore* g) {
  auto keep = live_[g];  // keeps g alive while its frame is destroyed
  std::exchange(g->frame, {}).destroy();
  live_.erase(g);
}

void Hub::Kill(GreenletCore* g) {
  if (g->done() && !g->frame) return;
  if (g == current_) throw GreenletExit{};
  auto it = live_.find(g);
  if (it == live_.end()) return;
  auto keep = it->second;
  g->parked = false;
  // Destroying the outermost frame destroys every frame it awaits, innermost last; their awaiters'
  // destructors unregister timers, polls, transfers and waits.
  if (g->frame) std::exchange(g->frame, {}).destroy();
  live_.erase(g);
  if (!g->done()) g->Finish(GreenletStatus::kKilled, std::make_exception_ptr(GreenletExit{}));
}

}  // namespace gc

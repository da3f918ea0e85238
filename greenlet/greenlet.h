// The greenlet runtime's front door: gevent's API (spawn, join, joinall, sleep, timeout, Event,
// Semaphore, Queue, Pool) on C++20 coroutines, one libuv loop (Hub) per thread. Reusable without the
// crawler: it knows nothing of HTTP or storage.
//
//   gc::Hub hub;
//   auto g = gc::Spawn([]() -> gc::Task<int> { co_await gc::Sleep(10); co_return 42; });
//   hub.Run();   // g.value() == 42
#pragma once

#include "greenlet/hub.h"          // the loop and its thread
#include "greenlet/signals.h"      // SIGINT/SIGTERM as loop events
#include "greenlet/spawn.h"        // Spawn, Greenlet<T>, Join, JoinAll, Kill, Sleep, WithTimeout
#include "greenlet/sync.h"         // Event, Semaphore, Queue, Pool
#include "greenlet/task.h"         // Task<T>
#include "greenlet/thread_pool.h"  // RunInPool: CPU work on libuv's thread pool

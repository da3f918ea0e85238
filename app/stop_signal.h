// SIGINT/SIGTERM before the crawl's event loop exists (opening the database, reading a long list): noted,
// not fatal, so that a run is never left "running" by a signal, and the list reading stops at a clean
// point. The crawl session's own handlers (greenlet/signals.h) take over while it runs.
#pragma once

namespace gc {

// Installs the handlers (idempotent).
void CatchStopSignals();
// The signal caught since CatchStopSignals(), or 0.
int StopSignal();

}  // namespace gc

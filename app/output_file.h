// Where a report goes: standard output, or a file written as FILE.partial and renamed at the end, so a
// reader (a CI step, a web server) sees the old file or the whole new one, never half of it.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace gc {

// Calls `write` with `out` when `output` is "" or "-", else with the FILE.partial stream, then renames it
// to `output`. Throws std::runtime_error when the file cannot be written (the partial file is removed);
// exceptions from `write` pass through, the partial file removed too.
void WriteOutput(const std::string& output, std::ostream& out, const std::function<void(std::ostream&)>& write);

}  // namespace gc

// The "Flaky links" section of the HTML report: new breakage, fixed links and links broken for several
// runs in a row (storage/history.h), every value escaped. Pure function.
#pragma once

#include <string>

#include "storage/history.h"

namespace gc::report {

// Chips with data-history (new_broken, fixed, lasting: as in `report --json`'s "history") and data-count,
// then one table of the listed links.
std::string HistoryBlock(const storage::BrokenHistory& h);

}  // namespace gc::report

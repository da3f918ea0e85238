// The "History" section of `report` and `diff`: new breakage, fixed links and links broken for several
// runs in a row (storage/history.h), as text for people and as a JSON object for scripts.
#pragma once

#include <ostream>
#include <string>

#include "storage/history.h"

namespace gc {

// Text lines, ending with a newline. `more_hint`: what lists the rest ("--all" for report, "" for none).
void PrintHistory(const storage::BrokenHistory& h, const std::string& more_hint, std::ostream& out);

// {"compared_with":3,"runs":[5,4,3],"broken":2,"new_broken":1,"fixed":1,"longest":3,"by_streak":{"1":1,...},
//  "new":[...],"fixed_links":[...],"lasting":[...]}: each link {"url","status","error","before":{..},"streak"}.
std::string HistoryJson(const storage::BrokenHistory& h);

}  // namespace gc

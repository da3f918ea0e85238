// The "Broken fragments" section of `report` (crawl --check-fragments, storage/fragments.h): links to
// page.html#section whose page exists but has no such anchor, kept apart from broken links.
#pragma once

#include <ostream>
#include <string>

#include "storage/fragments.h"

namespace gc {

// Nothing when the run did not check fragments.
void PrintFragments(const storage::FragmentReport& f, std::ostream& out);

// null when the run did not check fragments, else
// {"links":N,"verified":N,"broken_count":N,"broken":[{"url","fragment","referrer_count","referrers":[...]}]}.
std::string FragmentsJson(const storage::FragmentReport& f);

}  // namespace gc

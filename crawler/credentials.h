// Which --header values are credentials: sent only to the origins the list names (as curl sends them only
// to the host it was asked for, not after a redirect elsewhere), and never stored in clear in the run's
// options. Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>

namespace gc {

// True for "Authorization: ...", "Proxy-Authorization", "Cookie", and any header whose name contains
// "token", "secret", "api-key", "apikey" or "auth" (case-insensitive): X-Auth-Token, X-Api-Key, ...
bool IsCredentialHeader(std::string_view header_line);

// "Name: <redacted>" for a credential header, the line itself otherwise.
std::string RedactHeader(std::string_view header_line);

}  // namespace gc

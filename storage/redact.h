// Database targets fit to print. A PostgreSQL password given in the URI must not reach a terminal, a CI
// log, a report page or a shell history suggestion (`greencrawl report --db ...`): every place that shows
// a database shows RedactPassword(target), never the target itself. Plain functions, any thread.
#pragma once

#include <string>
#include <string_view>

namespace gc::storage {

// `target` with every password in it replaced by "***":
// - a URI's userinfo password: postgresql://user:***@host/db. libpq ends the userinfo at the first '@'
//   before any '/' (fe-connect.c, conninfo_uri_parse_options), so a password with an unencoded '@' or
//   '/' is misparsed there; what the user meant is hidden all the same: everything from the first ':'
//   after the scheme to the LAST '@' (over-hiding a port when a query value holds an '@' is the safe side);
// - a `password=` parameter of the URI's query (the key percent-decoded, as libpq does);
// - for anything that is not a URI, a `password=VALUE` or `password = 'quoted value'` keyword of a libpq
//   key=value conninfo string.
// Anything else (an SQLite path, a URI without a password) comes back unchanged.
std::string RedactPassword(std::string_view target);

// True when a URI's password (as RedactPassword finds it) holds an unencoded '@' or '/'. libpq ends the
// userinfo at the first '@' and sees none before a '/', so it connects with a piece of the password and
// may quote other pieces in its messages as a host, port or database name.
bool PasswordNeedsEncoding(std::string_view target);

// `text` (a message from libpq, which may quote a malformed part of the URI) with every password of
// `target`, as written and percent-decoded, replaced by "***". Passwords shorter than 3 characters are
// left: hiding every "a" of a message would make it unreadable.
std::string ScrubPasswords(std::string text, std::string_view target);

}  // namespace gc::storage

// Lists and databases are known by what they are, not by how they were spelled: `list.txt`, `./list.txt`
// and its absolute path are one list; `link.db` -> `r.db` is one database. Plain functions, any thread.
#pragma once

#include <string>

namespace gc {

// The list's identity as runs.list_file stores it: "name:NAME" when the list is given a name
// (--list-name), else its resolved absolute path (symlinks followed), or "-" for standard input. A list
// that no longer exists resolves to its absolute, normalised spelling.
std::string ListIdentity(const std::string& list, const std::string& name = "");
// The NAME of a "name:NAME" identity, or "" for a path or "-".
std::string ListNameOf(const std::string& identity);

// Why `list` cannot be a list of URLs ("LIST is a directory, not a list of URLs"), or "" when it may be
// one (or is "-"). Missing or unreadable files are left to the reader, which says why.
std::string NotAList(const std::string& list);

// The database file a path leads to: symlinks resolved, also for a file not created yet (its directory
// is resolved). Throws std::runtime_error("cannot create database X: no directory Y") when the directory
// is missing.
std::string ResolvedDatabase(const std::string& db);

}  // namespace gc

// Where a report or an export goes (`report -o`, `export -o`, `report --html`, `crawl --report-html`):
// the one writer every output path uses. Plain function, any thread; it blocks on file I/O, so never on
// the loop thread.
//
// - "" or "-": `out` (standard output).
// - An existing target that is not a regular file — a character device such as /dev/null or /dev/full,
//   a FIFO, /dev/stdout or /dev/fd/N leading to a pipe or a terminal — is written to in place, as a shell
//   redirection would: it is never replaced by a regular file. A target that is this process's own
//   standard output (/dev/stdout when stdout is a file) is `out`. A directory or a block device is refused.
// - Anything else (a new file, a regular file, a symbolic link) is replaced atomically: the text goes to
//   a new temporary file beside it (created with O_CREAT|O_EXCL|O_NOFOLLOW under a random name, so a link
//   planted there cannot redirect the write), fsync'ed, then rename(2)d over the target. A reader (a web
//   server, a CI step) sees the old file or the whole new one. A symbolic link at the target is replaced,
//   not followed. The new file keeps an existing target's permission bits, else gets 0666 less the umask.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace gc {

// Calls `write` with a stream to `output` as above. Throws std::runtime_error naming the target and the
// reason (e.g. "cannot write /dev/full: No space left on device") when it cannot be written; the
// temporary file is then removed and an existing target is left as it was. Exceptions from `write` pass
// through, the temporary file removed too.
void WriteOutput(const std::string& output, std::ostream& out, const std::function<void(std::ostream&)>& write);

// Why WriteOutput could not write `output`, checked without writing anything: its folder is missing or
// not writable, or it is a directory (or an existing non-regular file that is not writable). "" when it
// looks writable ("" and "-" are standard output). For a crawl to find an unusable --report-html before
// it fetches, not after. A check, not a promise: the disk may still fill up.
std::string CannotWrite(const std::string& output);

}  // namespace gc

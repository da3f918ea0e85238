// The command line: `greencrawl crawl | runs | report | export | diff`. Returns the exit code.
#pragma once

namespace gc {
int RunCli(int argc, char** argv);
}

// The command line: `greencrawl crawl | runs | report | export | prune | join | diff`. Returns the exit
// code. RunCli is the registry; each command adds itself and its options (app/cli_commands.h).
#pragma once

namespace gc {
int RunCli(int argc, char** argv);
}

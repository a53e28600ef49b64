/* version: the program's version, shared by the CLI and the HTTP User-Agent */
#include "cmds.h"

const char eximwatch_version[] = "0.1.0";

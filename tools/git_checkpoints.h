// tools/: file checkpoints for the agent and the CLI (undo and rewind).
// The contract is in tools/git/checkpoints.h.
#pragma once

#include "tools/git/checkpoints.h"

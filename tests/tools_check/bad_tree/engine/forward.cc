// Fixture for the include-rule check: engine must not see sessions.
#include "base/status.h"
#include "sessions/store.h"

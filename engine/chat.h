// engine/: chat templates, for the agent (the interpreter lives in chat/).
// See engine/chat/chat_template.h for the contract.
#pragma once

#include "engine/chat/chat_template.h"

#include "engine/engine.h"
#include "engine/cpu/matmul.h"

// LaunchPlan <-> JSON, the form in which the plan reaches the helper.
//
// Parsing validates every field's type and every enum name, since the
// helper trusts the plan completely once it is parsed.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "sandbox/launch_plan.h"

namespace sandbox::internal {

std::string PlanToJson(const LaunchPlan& plan);
base::Result<LaunchPlan> PlanFromJson(std::string_view text);

}  // namespace sandbox::internal

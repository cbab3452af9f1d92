#include "dependent_launch.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace llmops::kernels {
namespace {

std::atomic<bool>& flag() {
    static std::atomic<bool> on{[] {
        const char* v = std::getenv("LLM_OPS_PDL");
        return v == nullptr || std::strcmp(v, "0") != 0;
    }()};
    return on;
}

}  // namespace

bool dependentLaunch() {
    return flag().load(std::memory_order_relaxed);
}

void setDependentLaunch(bool on) {
    flag().store(on, std::memory_order_relaxed);
}

}  // namespace llmops::kernels

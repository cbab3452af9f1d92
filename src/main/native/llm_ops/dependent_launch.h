// Programmatic dependent launch (sm_90): a kernel launched this way may start while the kernel
// before it in the stream still runs, so a matmul streams its weights during the small kernels
// before it and the launch gaps between the ~10 kernels of a layer close (+7-10% tokens/s on the 34B
// shape, docs/fast-path.md). On by default on Hopper and later when the kernels were compiled for it
// (not from compute_80 PTX); LLM_OPS_PDL=0 (or
// setDependentLaunch(false), for A/B measurement) launches them plainly.
#pragma once

namespace llmops::kernels {

bool dependentLaunch();
void setDependentLaunch(bool on);

}  // namespace llmops::kernels

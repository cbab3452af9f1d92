// Programmatic dependent launch (sm_90): a kernel launched this way may start while the kernel
// before it in the stream still runs, so a matmul streams its weights during the small kernels
// before it and the launch gaps between the ~10 kernels of a layer close (+7-10% tokens/s on the 34B
// shape, docs/fast-path.md, "Dependent launch"). On wherever it can be: Hopper and later, with kernels
// compiled for it (not from compute_80 PTX). setDependentLaunch(false) launches them plainly (fast_check's
// benchmark of it).
#pragma once

namespace llmops::kernels {

bool dependentLaunch();
void setDependentLaunch(bool on);

}  // namespace llmops::kernels

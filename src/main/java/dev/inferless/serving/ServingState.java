package dev.inferless.serving;

/** Where a serving runtime is in its life: live from STARTING, ready only in READY. */
public enum ServingState {
    STARTING, READY, DRAINING, STOPPED
}

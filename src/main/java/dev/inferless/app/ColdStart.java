package dev.inferless.app;

/** Cold start split into its phases, in seconds: process start to model loaded, initialize, warm-up inference. */
public record ColdStart(double runtimeStartS, double initializeS, double warmupS) {

    public double totalS() {
        return runtimeStartS + initializeS + warmupS;
    }
}

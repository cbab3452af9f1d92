package dev.inferless.runtime;

public final class Main {
    public static void main(String[] args) {}
}

package dev.inferless.api;

import java.util.Map;

/** Receives a streaming model's chunks; the runtime turns them into Server-Sent Events. */
public interface StreamOutputHandler {

    void send(Map<String, Object> chunk);

    void finish();
}

package dev.inferless.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A client on a bare socket, so a test can walk away from a stream mid-way (close without reading on). */
final class RawStreamClient implements AutoCloseable {

    private final Socket socket;

    /** Sends the POST and returns once the response's first SSE event has arrived. */
    static RawStreamClient openUntilFirstEvent(int port, String path, String json) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(60_000);
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains("data: ")) {
            int b = in.read();
            if (b < 0) {
                socket.close();
                throw new IOException("connection closed before the first event: " + seen);
            }
            seen.append((char) b);
        }
        if (!seen.toString().startsWith("HTTP/1.1 200")) {
            socket.close();
            throw new IOException("not a stream: " + seen);
        }
        return new RawStreamClient(socket);
    }

    private RawStreamClient(Socket socket) {
        this.socket = socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

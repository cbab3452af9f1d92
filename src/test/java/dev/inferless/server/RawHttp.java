package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Bytes a well-behaved client would never send, on a bare socket; the answer read until the server closes or goes quiet. */
final class RawHttp {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A response as it came off the wire. */
    record Answer(int status, String head, String body) {

        /** The body as JSON; fails the test when it is not. */
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        boolean isJsonError() {
            try {
                return head.toLowerCase().contains("content-type: application/json") && json().has("error");
            } catch (IOException e) {
                return false;
            }
        }
    }

    private RawHttp() {}

    /** Sends {@code request} and reads one response, waiting up to {@code waitMs} for it. */
    static Answer send(int port, byte[] request, int waitMs) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(waitMs);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    static Answer send(int port, String request, int waitMs) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), waitMs);
    }

    /** One response: the head, then a Content-Length body, or whatever comes until close or silence. */
    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int headEnd = -1;
        long length = -1;
        try {
            int b;
            while ((b = in.read()) >= 0) {
                all.write(b);
                String text = all.toString(StandardCharsets.ISO_8859_1);
                if (headEnd < 0 && text.endsWith("\r\n\r\n")) {
                    headEnd = text.length();
                    for (String line : text.split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Long.parseLong(line.substring(15).trim());
                        }
                    }
                }
                if (headEnd >= 0 && length >= 0 && all.size() - headEnd >= length) {
                    break;
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // silence or reset: what came is the answer
        }
        String text = all.toString(StandardCharsets.UTF_8);
        if (headEnd < 0) {
            throw new IOException("no complete response head: '" + text + "'");
        }
        String head = text.substring(0, text.indexOf("\r\n\r\n"));
        int status = Integer.parseInt(head.substring(9, 12));
        return new Answer(status, head, text.substring(head.length() + 4));
    }
}

package dev.inferless.server;

import dev.inferless.api.CancellationToken;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * Notices a client that hangs up while its non-streaming request waits for the model, and cancels the
 * request's token (as a failed stream write or the deadline does), so the model stops
 * and the slot comes back. Jetty reads nothing from an HTTP/1 connection while a blocking handler
 * runs, so on its own it never sees the FIN or RST; this asks the connection's endpoint for read
 * interest for the handler's duration, and a fill then tells end of stream (-1) from bytes.
 * Bytes there are a pipelined next request, of which the fill took one: the answer then closes the
 * connection ({@link #pipelined}). Closing the watch gives the read interest back before the answer
 * is written, so the connection can read its next request as usual.
 */
final class ClientHangup implements AutoCloseable {

    private static final ClientHangup NONE = new ClientHangup(null, null);

    private final AbstractEndPoint endPoint;
    private final CancellationToken token;
    private boolean watching;
    private boolean pipelined;
    private boolean gone;

    private ClientHangup(AbstractEndPoint endPoint, CancellationToken token) {
        this.endPoint = endPoint;
        this.token = token;
    }

    /** Watches the connection of {@code request} (HTTP/1 only; HTTP/2 streams share one) until closed. */
    static ClientHangup watch(HttpServletRequest request, CancellationToken token) {
        ConnectionMetaData meta = ServletContextRequest.getServletContextRequest(request).getConnectionMetaData();
        HttpVersion version = meta.getHttpVersion();
        EndPoint endPoint = meta.getConnection().getEndPoint();
        if ((version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) || !(endPoint instanceof AbstractEndPoint)) {
            return NONE;
        }
        ClientHangup watch = new ClientHangup((AbstractEndPoint) endPoint, token);
        watch.listen();
        return watch;
    }

    private synchronized void listen() {
        watching = endPoint.tryFillInterested(Callback.from(Invocable.InvocationType.NON_BLOCKING, this::readable, failure -> {}));
    }

    private synchronized void readable() {
        if (!watching) {
            return;
        }
        watching = false;
        int filled;
        try {
            filled = endPoint.fill(BufferUtil.allocate(1));
        } catch (IOException e) {
            filled = -1; // reset by the client
        }
        if (filled < 0) {
            gone = true;
            token.cancel(CancellationToken.Reason.CLIENT_GONE);
        } else if (filled > 0) {
            pipelined = true;
        } else {
            listen();
        }
    }

    /** Whether the client closed its connection (and the request was cancelled). */
    synchronized boolean clientGone() {
        return gone;
    }

    /** Whether the fill took a byte of a pipelined request: the answer must close the connection. */
    synchronized boolean pipelined() {
        return pipelined;
    }

    @Override
    public synchronized void close() {
        if (watching) {
            watching = false;
            endPoint.getFillInterest().onFail(new IOException("the answer is ready"));
        }
    }
}

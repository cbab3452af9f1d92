package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.runtime.ConfigException;
import dev.inferless.runtime.InferenceService;
import dev.inferless.runtime.ModelRepo;
import dev.inferless.runtime.RequestInput;
import dev.inferless.runtime.ServerConfig;
import dev.inferless.runtime.ServingState;
import dev.inferless.runtime.TensorSpec;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.javalin.router.JavalinDefaultRoutingApi;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP adapter: every route in {@link #routes}, errors mapped in {@link ErrorMapping}, one log
 * line and one metric sample per request. Models never see HTTP; this layer never sees the model.
 */
public final class HttpServer {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    static final String VERSION = "0.1.0";
    private static final Duration STOP_PATIENCE = Duration.ofSeconds(5);
    /** The status of a stream that failed after its first event (the response itself says 200). */
    static final String STREAM_ERROR = "inferless.stream-error";

    private final ServerConfig config;
    private final InferenceService service;
    private final Metrics metrics;
    private final BearerAuth auth;
    private final boolean requestLog;
    private final long startedAt = System.currentTimeMillis() / 1000;
    private Javalin app;
    /** Requests between the before- and after-handlers. */
    private final AtomicInteger exchanges = new AtomicInteger();

    /** {@code authToken} null = no authentication. */
    public HttpServer(ServerConfig config, String authToken, InferenceService service, Metrics metrics, boolean requestLog) {
        this.config = config;
        this.service = service;
        this.metrics = metrics;
        this.auth = authToken == null ? null : new BearerAuth(authToken);
        this.requestLog = requestLog;
    }

    public HttpServer start() {
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.requestLogger.http(this::logRequest);
            c.jetty.modifyServer(server -> {
                // Counts requests until their response is complete, so that a graceful stop waits for them.
                GracefulHandler graceful = new GracefulHandler();
                graceful.setHandler(new BodyReceiver(config.maxBodyBytes(), config.bodyTimeout()));
                server.setHandler(graceful);
                server.setErrorHandler(new JsonErrorHandler());
            });
            c.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new JsonErrorHandler()));
            c.jetty.modifyHttpConfiguration(http -> {
                http.setIdleTimeout(config.idleTimeout().toMillis());
                http.setMinRequestDataRate(config.minRequestDataRate());
            });

            c.routes.exception(Exception.class, ErrorMapping::handle);
            c.routes.error(404, ErrorMapping::unmatchedRoute);
            c.routes.before(ctx -> exchanges.incrementAndGet());
            c.routes.after(ctx -> exchanges.decrementAndGet());
            c.routes.before(this::guard);
            routes(c.routes);
        });
        try {
            app.start(config.host(), config.port());
            // Set once started: a graceful stop of a server that failed to start would hide why it failed.
            app.jettyServer().server().setStopTimeout(STOP_PATIENCE.toMillis());
            for (Connector connector : app.jettyServer().server().getConnectors()) {
                ((AbstractConnector) connector).setIdleTimeout(config.idleTimeout().toMillis());
            }
        } catch (RuntimeException e) {
            throw new ConfigException("server.port: cannot listen on " + config.host() + ":" + config.port()
                    + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
        LOG.info("listening on http://{}:{}", config.host(), app.port());
        return this;
    }

    public int port() {
        return app.port();
    }

    /**
     * Stops listening once the requests under way have left their handlers (streams cancelled by
     * the runtime end within milliseconds), up to STOP_PATIENCE; Jetty's graceful stop then lets
     * their responses complete.
     */
    public void stop() {
        if (app == null) {
            return;
        }
        long end = System.nanoTime() + STOP_PATIENCE.toNanos();
        try {
            while (exchanges.get() > 0 && System.nanoTime() < end) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        app.stop();
    }

    private void routes(JavalinDefaultRoutingApi app) {
        app.get("/v2", ctx -> json(ctx, 200, Map.of("name", "inferless-runtime", "version", VERSION, "extensions", List.of())));
        app.get("/v2/health/live", ctx -> json(ctx, 200, Map.of("live", true)));
        app.get("/v2/health/ready", this::ready);
        app.get("/v2/models/{name}", ctx -> json(ctx, 200, modelMetadata(model(ctx))));
        app.get("/v2/models/{name}/ready", ctx -> {
            model(ctx);
            ready(ctx);
        });
        app.get("/v2/models/{name}/versions/{version}", ctx -> json(ctx, 200, modelMetadata(model(ctx))));
        app.post("/v2/models/{name}/infer", this::kserveInfer);
        app.post("/v2/models/{name}/versions/{version}/infer", this::kserveInfer);
        app.post("/infer", this::simpleInfer);
        app.post("/v1/completions", this::completions);
        app.get("/v1/models", ctx -> json(ctx, 200, OpenAiProtocol.models(service.repo().name(), startedAt)));
        app.get("/metrics", ctx -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            metrics.write(out);
            ctx.contentType(metrics.contentType()).result(out.toByteArray());
        });
    }

    private void kserveInfer(Context ctx) throws Exception {
        ModelRepo repo = model(ctx);
        service.requireReady();
        KServeProtocol.Request request = KServeProtocol.parse(Json.parseObject(body(ctx)));
        Map<String, Object> outputs = service.infer(request.inputs());
        json(ctx, 200, KServeProtocol.response(repo.name(), request.id(), outputs, repo.outputs()));
    }

    /**
     * Simple JSON: {"prompt": "..."} in, the model's outputs ({"generated_result": "..."}) out; with
     * "stream": true, one Server-Sent Event per chunk the model sends, then {@code data: [DONE]}.
     */
    private void simpleInfer(Context ctx) throws Exception {
        service.requireReady();
        ObjectNode root = (ObjectNode) Json.parseObject(body(ctx));
        JsonNode stream = root.remove("stream");
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            throw new ApiError(400, "stream must be true or false, got " + stream);
        }
        List<RequestInput> inputs = RequestInput.fromFields(root);
        if (stream != null && stream.asBoolean()) {
            stream(ctx, inputs, sse -> new StreamOutputHandler() {
                @Override
                public void send(Map<String, Object> chunk) {
                    sse.data(chunk);
                }

                @Override
                public void finish() {
                    sse.done();
                }
            });
        } else {
            json(ctx, 200, service.infer(inputs));
        }
    }

    /** OpenAI's completions: the same model call, its fields and answer in OpenAI's shape (see {@link OpenAiProtocol}). */
    private void completions(Context ctx) throws Exception {
        service.requireReady();
        String name = service.repo().name();
        OpenAiProtocol.Completion c = OpenAiProtocol.parse(Json.parseObject(body(ctx)), name,
                service.repo().inputs().specs().keySet());
        long created = System.currentTimeMillis() / 1000;
        if (c.stream()) {
            stream(ctx, c.inputs(), sse -> OpenAiProtocol.stream(sse, c, name, created));
        } else {
            json(ctx, 200, OpenAiProtocol.response(c, name, created, service.infer(c.inputs())));
        }
    }

    /**
     * Runs the model's streaming form into Server-Sent Events. A failure before the first event is
     * an ordinary HTTP error; after it, an error event ends the stream (the status line is gone).
     */
    private void stream(Context ctx, List<RequestInput> inputs, Function<SseWriter, StreamOutputHandler> protocol)
            throws Exception {
        SseWriter sse = new SseWriter(ctx);
        StreamOutputHandler out = protocol.apply(sse);
        try {
            service.inferStreaming(inputs, out);
        } catch (Exception e) {
            ErrorMapping.Failure f = ErrorMapping.describe(e, ctx.method() + " " + ctx.path());
            if (!sse.fail(f.status(), f.message())) {
                throw e;
            }
            ctx.attribute(STREAM_ERROR, f.status());
            return;
        }
        if (!sse.isDone()) {
            try {
                out.finish(); // the model returned without finishing its stream
            } catch (RuntimeException clientGone) {
                // nothing more to deliver
            }
        }
    }

    private void ready(Context ctx) {
        boolean ready = service.isReady();
        json(ctx, ready ? 200 : 503, Map.of("ready", ready));
    }

    /** Auth for everything but the health probes; the size limit before any body is read. */
    private void guard(Context ctx) {
        if (auth != null && !ctx.path().startsWith("/v2/health/") && !auth.accepts(ctx.header("Authorization"))) {
            throw new ApiError(401, "missing or wrong bearer token");
        }
        if (ctx.contentLength() > config.maxBodyBytes()) {
            throw new ApiError(413, "request body too large: " + ctx.contentLength() + " bytes, over the limit of "
                    + config.maxBodyBytes() + " (server.max_body_bytes)");
        }
    }

    private ModelRepo model(Context ctx) {
        ModelRepo repo = service.repo();
        String name = ctx.pathParam("name");
        if (!repo.name().equals(name)) {
            throw new ApiError(404, "unknown model '" + name + "' (this server serves '" + repo.name() + "')");
        }
        if (ctx.pathParamMap().containsKey("version") && !ctx.pathParam("version").equals("1")) {
            throw new ApiError(404, "unknown version '" + ctx.pathParam("version") + "' of model '" + name + "' (versions: 1)");
        }
        return repo;
    }

    /** Reads the body, refusing it past the limit even when no Content-Length announced its size (chunked). */
    private byte[] body(Context ctx) throws IOException {
        int limit = (int) Math.min(config.maxBodyBytes(), Integer.MAX_VALUE - 16);
        byte[] body = ctx.req().getInputStream().readNBytes(limit + 1);
        if (body.length > limit) {
            throw new ApiError(413, "request body too large: over the limit of " + limit + " bytes (server.max_body_bytes)");
        }
        return body;
    }

    private Map<String, Object> modelMetadata(ModelRepo repo) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", repo.name());
        m.put("versions", List.of("1"));
        m.put("platform", "inferless-java");
        m.put("inputs", repo.inputs().specs().values().stream().map(KServeProtocol::tensorMetadata).collect(Collectors.toList()));
        m.put("outputs", repo.outputs().specs().values().stream().map(KServeProtocol::tensorMetadata).collect(Collectors.toList()));
        m.put("ready", service.state() == ServingState.READY);
        return m;
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    /** Javalin calls this at the end of every request, matched or not. */
    private void logRequest(Context ctx, Float ms) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        String route = endpoint == null ? null : endpoint.path;
        if (route == null || route.isEmpty() || route.equals("*")) {
            route = "unmatched";
        }
        Integer streamError = ctx.attribute(STREAM_ERROR);
        int status = streamError != null ? streamError : ctx.statusCode();
        metrics.recordRequest(route, status, ms / 1000.0);
        if (requestLog) {
            LOG.info("{} {} {} {} ms", ctx.method(), route, status, String.format("%.1f", ms));
        }
    }
}

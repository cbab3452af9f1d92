package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.runtime.ConfigException;
import dev.inferless.runtime.InferenceService;
import dev.inferless.runtime.ModelRepo;
import dev.inferless.runtime.RequestInput;
import dev.inferless.runtime.ServerConfig;
import dev.inferless.runtime.ServingState;
import dev.inferless.runtime.TensorSpec;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.handler.StatisticsHandler;
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

    private final ServerConfig config;
    private final InferenceService service;
    private final Metrics metrics;
    private final BearerAuth auth;
    private final boolean requestLog;
    private Javalin app;

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
            c.showJavalinBanner = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.requestLogger.http(this::logRequest);
            c.jetty.modifyServer(server -> {
                // Counts requests until their response is complete, so that stop() waits for them.
                server.setHandler(new StatisticsHandler());
            });
        });
        app.exception(Exception.class, ErrorMapping::handle);
        app.error(404, ErrorMapping::unmatchedRoute);
        app.before(this::guard);
        routes(app);
        try {
            app.start(config.host(), config.port());
            // Set once started: a graceful stop of a server that failed to start would hide why it failed.
            app.jettyServer().server().setStopTimeout(STOP_PATIENCE.toMillis());
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

    /** Stops listening; Jetty's graceful stop lets responses under way complete first (up to STOP_PATIENCE). */
    public void stop() {
        if (app != null) {
            app.stop();
        }
    }

    private void routes(Javalin app) {
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

    /** Simple JSON: {"prompt": "..."} in, the model's outputs ({"generated_result": "..."}) out. */
    private void simpleInfer(Context ctx) throws Exception {
        service.requireReady();
        JsonNode root = Json.parseObject(body(ctx));
        json(ctx, 200, service.infer(RequestInput.fromFields(root)));
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
        String route;
        try {
            route = ctx.endpointHandlerPath();
        } catch (RuntimeException e) {
            route = "unmatched";
        }
        if (route == null || route.isEmpty() || route.equals("*")) {
            route = "unmatched";
        }
        int status = ctx.statusCode();
        metrics.recordRequest(route, status, ms / 1000.0);
        if (requestLog) {
            LOG.info("{} {} {} {} ms", ctx.method(), route, status, String.format("%.1f", ms));
        }
    }
}

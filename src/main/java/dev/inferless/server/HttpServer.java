package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.api.CancellationToken;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.config.ConfigException;
import dev.inferless.config.ServerConfig;
import dev.inferless.repo.ModelRepo;
import dev.inferless.schema.RequestInput;
import dev.inferless.schema.TensorSpec;
import dev.inferless.schema.TextGenerationIo;
import dev.inferless.serving.InferenceService;
import dev.inferless.serving.ServingState;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import io.javalin.router.JavalinDefaultRoutingApi;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;
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
    static final String REQUEST_ID = "X-Request-Id";

    private final ServerConfig config;
    private final InferenceService service;
    private final Metrics metrics;
    private final BearerAuth auth;
    private final boolean requestLog;
    private final long startedAt = System.currentTimeMillis() / 1000;
    private Javalin app;
    /** Requests between the before- and after-handlers. */
    private final AtomicInteger exchanges = new AtomicInteger();
    private final AllowedMethods allowed = new AllowedMethods();
    private final ParallelChoices parallelChoices = new ParallelChoices(ParallelChoices.MAX_CHOICE_THREADS);

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
            c.routes.error(404, this::unmatched);
            c.routes.before(ctx -> exchanges.incrementAndGet());
            c.routes.after(ctx -> exchanges.decrementAndGet());
            c.routes.before(this::requestId);
            if (!config.corsAllowOrigin().isEmpty()) {
                c.routes.before(this::cors);
                c.routes.options("/*", ctx -> ctx.status(204));
            }
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
        get(app, "/v2", ctx -> json(ctx, 200, Map.of("name", "inferless-runtime", "version", VERSION,
                "extensions", List.of("binary_tensor_data", "parameters", "generate"))));
        get(app, "/v2/health/live", ctx -> json(ctx, 200, Map.of("live", true)));
        get(app, "/v2/health/ready", this::ready);
        for (String model : List.of("/v2/models/{name}", "/v2/models/{name}/versions/{version}")) {
            get(app, model, ctx -> json(ctx, 200, modelMetadata(model(ctx))));
            get(app, model + "/ready", ctx -> {
                ModelRepo repo = model(ctx);
                boolean ready = service.isReady();
                json(ctx, ready ? 200 : 503, Map.of("name", repo.name(), "ready", ready));
            });
            post(app, model + "/infer", this::kserveInfer);
            post(app, model + "/generate", ctx -> generate(ctx, false));
            post(app, model + "/generate_stream", ctx -> generate(ctx, true));
        }
        post(app, "/infer", this::simpleInfer);
        post(app, "/v1/completions", ctx -> openAi(ctx, false));
        post(app, "/v1/chat/completions", ctx -> openAi(ctx, true));
        get(app, "/v1/models", ctx -> json(ctx, 200,
                OpenAiProtocol.models(service.repo().name(), startedAt, service.contextLength())));
        get(app, "/v1/models/{name}", ctx -> {
            if (!ctx.pathParam("name").equals(service.repo().name())) {
                throw new ApiError(404, "The model '" + ctx.pathParam("name") + "' does not exist (this server serves '"
                        + service.repo().name() + "')", "model", "model_not_found");
            }
            json(ctx, 200, OpenAiProtocol.model(service.repo().name(), startedAt, service.contextLength()));
        });
        get(app, "/metrics", ctx -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            metrics.write(out);
            ctx.contentType(metrics.contentType()).result(out.toByteArray());
        });
    }

    private void get(JavalinDefaultRoutingApi app, String path, Handler handler) {
        allowed.add("GET", path);
        app.get(path, handler);
    }

    private void post(JavalinDefaultRoutingApi app, String path, Handler handler) {
        allowed.add("POST", path);
        app.post(path, handler);
    }

    /** 404 for an unknown path; 405 with Allow for a known path asked with another method. */
    private void unmatched(Context ctx) {
        Set<String> methods = allowed.of(ctx.path());
        if (!methods.isEmpty() && !methods.contains(ctx.method().name())) {
            ctx.header("Allow", String.join(", ", methods));
            ErrorMapping.handle(new ApiError(405, "method " + ctx.method() + " not allowed on " + ctx.path()
                    + " (allowed: " + String.join(", ", methods) + ")"), ctx);
            return;
        }
        ErrorMapping.unmatchedRoute(ctx);
    }

    /**
     * KServe v2 inference, JSON or with binary tensor data: with {@code Inference-Header-Content-Length},
     * the body is that many bytes of JSON, then the inputs' binary data; the answer takes the same form
     * when an output is asked for binary.
     */
    private void kserveInfer(Context ctx) throws Exception {
        ModelRepo repo = model(ctx);
        service.requireReady();
        byte[] body = body(ctx);
        int jsonLength = jsonLength(ctx.header(KServeProtocol.HEADER_LENGTH), body.length);
        KServeProtocol.Request request = KServeProtocol.parse(Json.parseObject(Arrays.copyOf(body, jsonLength)),
                ByteBuffer.wrap(body, jsonLength, body.length - jsonLength), repo.inputs());
        KServeProtocol.checkRequestedOutputs(request, repo.outputs());
        Map<String, Object> outputs = infer(ctx, request.inputs());
        KServeProtocol.Response response = KServeProtocol.response(repo.name(), request, outputs, repo.outputs());
        if (response.binary().isEmpty()) {
            json(ctx, 200, response.json());
            return;
        }
        byte[] json = Json.write(response.json()).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(json);
        response.binary().forEach(out::writeBytes);
        ctx.status(200).header(KServeProtocol.HEADER_LENGTH, Integer.toString(json.length))
                .contentType("application/octet-stream").result(out.toByteArray());
    }

    private static int jsonLength(String header, int bodyLength) {
        if (header == null) {
            return bodyLength;
        }
        int length;
        try {
            length = Integer.parseInt(header.trim());
        } catch (NumberFormatException e) {
            throw new ApiError(400, KServeProtocol.HEADER_LENGTH + ": expected a byte count, got '" + header + "'");
        }
        if (length < 0 || length > bodyLength) {
            throw new ApiError(400, KServeProtocol.HEADER_LENGTH + ": " + length + " is outside the body's "
                    + bodyLength + " bytes");
        }
        return length;
    }

    /** The generate extension: one JSON answer, or with {@code stream} one event per chunk and no sentinel. */
    private void generate(Context ctx, boolean stream) throws Exception {
        ModelRepo repo = model(ctx);
        service.requireReady();
        TextGenerationIo io = textGeneration(repo, "generate");
        List<RequestInput> inputs = GenerateProtocol.parse(Json.parseObject(body(ctx)), repo.inputs(), io, stream);
        if (!stream) {
            json(ctx, 200, GenerateProtocol.response(repo.name(), io, infer(ctx, inputs)));
            return;
        }
        stream(ctx, inputs, sse -> new StreamOutputHandler() {
            @Override
            public void send(Map<String, Object> chunk) {
                sse.data(GenerateProtocol.response(repo.name(), io, chunk));
            }

            @Override
            public void finish() {
                sse.end();
            }
        });
    }

    /**
     * Simple JSON: {"prompt": "..."} in, the model's outputs ({"generated_result": "..."}) out; with
     * "stream": true (or no "stream" and model.streaming_output: true), one Server-Sent Event per
     * chunk the model sends, then {@code data: [DONE]}.
     */
    private void simpleInfer(Context ctx) throws Exception {
        service.requireReady();
        ObjectNode root = (ObjectNode) Json.parseObject(body(ctx));
        JsonNode stream = root.remove("stream");
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            throw new ApiError(400, "stream must be true or false, got " + stream);
        }
        List<RequestInput> inputs = RequestInput.fromFields(root);
        // A request that does not say follows the model's declaration (model.streaming_output), else JSON.
        boolean streamed = stream != null && !stream.isNull() ? stream.asBoolean() : service.repo().streamingOutput().orElse(false);
        if (streamed) {
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
            json(ctx, 200, infer(ctx, inputs));
        }
    }

    /**
     * OpenAI's completions and chat completions: the same model call, fields and answers in OpenAI's
     * shape (see {@link OpenAiRequest}, {@link OpenAiProtocol}); a request of several choices makes
     * one model call per choice, all at once.
     */
    private void openAi(Context ctx, boolean chat) throws Exception {
        service.requireReady();
        String name = service.repo().name();
        JsonNode body = Json.parseObject(body(ctx));
        TextGenerationIo io = textGeneration(service.repo(), ctx.path());
        java.util.Set<String> modelInputs = service.repo().inputs().specs().keySet();
        OpenAiRequest r = chat ? OpenAiRequest.chat(body, name, modelInputs, io.promptInput())
                : OpenAiRequest.completions(body, name, modelInputs, io.promptInput());
        long created = System.currentTimeMillis() / 1000;
        if (r.stream()) {
            streamChoices(ctx, r.choices(), sse -> new OpenAiStream(sse, r, name, created, io)::choice);
        } else {
            json(ctx, 200, OpenAiProtocol.response(r, name, created, io, inferChoices(ctx, r.choices())));
        }
    }

    /** The model's prompt input and text output; a model without them serves no text protocol. */
    private static TextGenerationIo textGeneration(ModelRepo repo, String route) {
        return TextGenerationIo.of(repo.inputs(), repo.outputs()).orElseThrow(() -> new ApiError(400, route
                + ": the model has no text-generation prompt input and text output (declare \"text_generation\": \""
                + TextGenerationIo.PROMPT + "\" on an input and \"" + TextGenerationIo.TEXT + "\" on an output; its inputs: "
                + String.join(", ", repo.inputs().specs().keySet()) + ")"));
    }

    /**
     * Runs the model's streaming form into Server-Sent Events. A failure before the first event is
     * an ordinary HTTP error; after it, an error event ends the stream (the status line is gone).
     */
    private void stream(Context ctx, List<RequestInput> inputs, Function<SseWriter, StreamOutputHandler> protocol)
            throws Exception {
        streamChoices(ctx, List.of(inputs), sse -> {
            StreamOutputHandler out = protocol.apply(sse);
            return choice -> out;
        });
    }

    /** As above for a request of several choices, each with its inputs and its handler on the one stream. */
    private void streamChoices(Context ctx, List<List<RequestInput>> choices,
                               Function<SseWriter, IntFunction<StreamOutputHandler>> protocol) throws Exception {
        SseWriter sse = new SseWriter(ctx);
        IntFunction<StreamOutputHandler> handlers = protocol.apply(sse);
        try {
            parallelChoices.run(choices.size(), newToken(), (i, token) -> {
                StreamOutputHandler out = handlers.apply(i);
                service.inferStreaming(choices.get(i), out, token);
                if (!sse.isDone()) {
                    try {
                        out.finish(); // the model returned without finishing its stream
                    } catch (RuntimeException clientGone) {
                        // nothing more to deliver
                    }
                }
                return null;
            });
        } catch (Exception e) {
            if (!sse.endUnlessStarted()) {
                throw e; // an ordinary error response, described (and logged) once by ErrorMapping
            }
            ErrorMapping.Failure f = ErrorMapping.describe(e, ctx.method() + " " + ctx.path());
            boolean openAi = ctx.path().startsWith("/v1/");
            Map<String, Object> event = openAi ? ErrorMapping.body(ctx.path(), f) : Map.of("error", f.message(), "status", f.status());
            sse.fail(event, !openAi);
            ctx.attribute(STREAM_ERROR, f.status());
        }
    }

    private void ready(Context ctx) {
        boolean ready = service.isReady();
        json(ctx, ready ? 200 : 503, Map.of("ready", ready));
    }

    /** Echoes the client's X-Request-Id, or makes one, so a client and the logs can name a request. */
    private void requestId(Context ctx) {
        String id = ctx.header(REQUEST_ID);
        if (id == null || id.isBlank() || id.length() > 200) {
            id = java.util.UUID.randomUUID().toString();
        }
        ctx.header(REQUEST_ID, id);
    }

    /** CORS for browser clients, when server.cors_allow_origin is set: answers preflights before auth. */
    private void cors(Context ctx) {
        ctx.header("Access-Control-Allow-Origin", config.corsAllowOrigin());
        if (!config.corsAllowOrigin().equals("*")) ctx.header("Vary", "Origin");
        ctx.header("Access-Control-Expose-Headers", REQUEST_ID);
        if (ctx.method() == io.javalin.http.HandlerType.OPTIONS) {
            ctx.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            String asked = ctx.header("Access-Control-Request-Headers");
            ctx.header("Access-Control-Allow-Headers", asked != null ? asked : "Authorization, Content-Type");
            ctx.header("Access-Control-Max-Age", "600");
            ctx.status(204);
            ctx.skipRemainingHandlers();
        }
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

    /** The model's answer to a non-streaming request; a client that hangs up meanwhile cancels it. */
    private Map<String, Object> infer(Context ctx, List<RequestInput> inputs) throws Exception {
        return inferChoices(ctx, List.of(inputs)).get(0);
    }

    /** The answers of a request's choices, one model call each, all at once. */
    private List<Map<String, Object>> inferChoices(Context ctx, List<List<RequestInput>> choices) throws Exception {
        CancellationToken token = newToken();
        try (ClientHangup hangup = ClientHangup.watch(ctx.req(), token)) {
            List<Map<String, Object>> outputs = parallelChoices.run(choices.size(), token,
                    (i, part) -> service.infer(choices.get(i), part));
            hangup.close();
            if (hangup.clientGone()) {
                LOG.info("{} {}: the client closed its connection; the model was cancelled", ctx.method(), ctx.path());
            }
            if (hangup.pipelined()) {
                ctx.header("Connection", "close");
            }
            return outputs;
        }
    }

    /** A request's cancellation: its deadline is server.inference_timeout_s from now, queue wait included. */
    private CancellationToken newToken() {
        return CancellationToken.withTimeout(config.inferenceTimeout());
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

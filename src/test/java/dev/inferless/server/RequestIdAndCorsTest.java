package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** X-Request-Id echoed or made on every route; CORS only when server.cors_allow_origin is set, preflight before auth. */
class RequestIdAndCorsTest {

    @TempDir
    Path tmp;

    @Test
    void requestIdIsEchoedOrMade() throws Exception {
        try (TestServer server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class))) {
            assertThat(server.get("/v1/models", "X-Request-Id", "abc-1").headers().firstValue("X-Request-Id")).contains("abc-1");
            String made = server.get("/v2/health/live").headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(made).matches("[0-9a-f-]{36}");
            assertThat(server.get("/nowhere").headers().firstValue("X-Request-Id")).isPresent();
            assertThat(server.get("/v1/models", "Origin", "https://app.example.com").headers()
                    .firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
    }

    @Test
    void corsAnswersPreflightsBeforeAuthWhenConfigured() throws Exception {
        try (TestServer server = TestServer.create(TestRepos.controllable(tmp, ControllableModel.class),
                Map.of("TOKEN", "s3cret"), "server.auth_token_env=TOKEN", "server.cors_allow_origin=*")) {
            server.runtime.initialize();
            HttpResponse<String> preflight = server.send(server.request("/v1/chat/completions",
                            "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
                            "Access-Control-Request-Headers", "authorization, content-type")
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build());
            assertThat(preflight.statusCode()).isEqualTo(204);
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).contains("authorization, content-type");
            HttpResponse<String> unauthorized = server.get("/v1/models", "Origin", "https://app.example.com");
            assertThat(unauthorized.statusCode()).isEqualTo(401);
            assertThat(unauthorized.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
        }
    }
}

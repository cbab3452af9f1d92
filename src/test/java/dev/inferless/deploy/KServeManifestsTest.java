package dev.inferless.deploy;

import static dev.inferless.deploy.Manifests.list;
import static dev.inferless.deploy.Manifests.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** deploy/kserve: an InferenceService on the v2 protocol, served by the inferless ClusterServingRuntime. */
class KServeManifestsTest {

    static final Manifests MANIFESTS = Manifests.load(Path.of("deploy/kserve"));

    static Map<String, Object> runtimeContainer() {
        List<Map<String, Object>> containers = list(map(MANIFESTS.one("ClusterServingRuntime").body(), "spec"), "containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    @Test
    void kindsAndApiVersionsAreKServes() {
        assertThat(MANIFESTS.docs()).hasSize(2);
        assertThat(MANIFESTS.one("InferenceService").apiVersion()).isEqualTo("serving.kserve.io/v1beta1");
        assertThat(MANIFESTS.one("ClusterServingRuntime").apiVersion()).isEqualTo("serving.kserve.io/v1alpha1");
    }

    @Test
    void inferenceServiceUsesV2AndAFormatTheRuntimeServes() {
        Map<String, Object> model = map(MANIFESTS.one("InferenceService").body(), "spec", "predictor", "model");
        Map<String, Object> runtimeSpec = map(MANIFESTS.one("ClusterServingRuntime").body(), "spec");
        String format = (String) map(model, "modelFormat").get("name");

        assertThat(model).containsEntry("protocolVersion", "v2")
                .containsEntry("runtime", MANIFESTS.one("ClusterServingRuntime").name());
        assertThat(strings(runtimeSpec.get("protocolVersions"))).contains("v2");
        assertThat(list(runtimeSpec, "supportedModelFormats")).extracting(f -> f.get("name")).contains(format);
        assertThat((String) model.get("storageUri")).matches("(pvc|s3|gs|https?)://.+");
    }

    @Test
    void runtimeContainerServesKServesModelDirectoryWithTheImagesJvmInExecForm() throws IOException {
        Map<String, Object> container = runtimeContainer();
        List<String> commandLine = new ArrayList<>();
        commandLine.addAll(strings(container.get("command")));
        commandLine.addAll(strings(container.get("args")));
        List<String> imageEntrypoint = new ObjectMapper().readValue(
                DockerfileTest.PARSED.stage("runtime").last("ENTRYPOINT").orElseThrow().arguments(),
                new TypeReference<List<String>>() {});

        assertThat(container).containsEntry("name", "kserve-container");
        assertThat(commandLine.get(0)).isEqualTo(imageEntrypoint.get(0)).doesNotEndWith("sh");
        // The image's entrypoint with KServe's /mnt/models in place of /model, then the served name from
        // KServe's template (the directory would name the model "models").
        List<String> naming = List.of("--set", "model.name={{.Name}}");
        int end = commandLine.size() - naming.size();
        assertThat(commandLine.subList(end, commandLine.size())).isEqualTo(naming);
        assertThat(commandLine.subList(0, end - 1))
                .as("the image's entrypoint with KServe's /mnt/models in place of /model")
                .isEqualTo(imageEntrypoint.subList(0, imageEntrypoint.size() - 1));
        assertThat(commandLine.get(end - 1)).isEqualTo("/mnt/models");
    }

    @Test
    void runtimeContainerPortProbeAndEnvironmentFitTheRuntime() throws IOException {
        Map<String, Object> container = runtimeContainer();
        Map<String, String> env = KubernetesManifestsTest.env(container);
        int port = (Integer) list(container, "ports").get(0).get("containerPort");
        Map<String, Object> readiness = map(container, "readinessProbe", "httpGet");
        Set<String> keys = RuntimeConfigKeys.environmentNames(Path.of("runtime-config.yaml"));

        assertThat(env).containsEntry("INFERLESS_SERVER_PORT", String.valueOf(port));
        assertThat(keys).containsAll(env.keySet());
        assertThat(readiness).containsEntry("path", "/v2/health/ready").containsEntry("port", port);
        assertThat(map(MANIFESTS.one("ClusterServingRuntime").body(), "spec", "annotations"))
                .containsEntry("prometheus.kserve.io/port", String.valueOf(port))
                .containsEntry("prometheus.kserve.io/path", "/metrics");
        assertThat(map(container, "securityContext")).containsEntry("runAsNonRoot", true)
                .containsEntry("runAsUser", Integer.parseInt(ModelStage.APP_USER.split(":")[0]));
    }

    @Test
    void predictorScalesOnConcurrencyWithinTheRuntimeDeadline() throws IOException {
        Map<String, Object> predictor = map(MANIFESTS.one("InferenceService").body(), "spec", "predictor");
        Map<String, Object> config = new org.yaml.snakeyaml.Yaml().load(
                java.nio.file.Files.readString(Path.of("runtime-config.yaml")));
        Map<String, Object> server = map(config, "server");

        assertThat(predictor).containsEntry("scaleMetric", "concurrency")
                .containsEntry("scaleTarget", server.get("container_concurrency"))
                .containsEntry("timeout", server.get("inference_timeout_s"));
        assertThat((Integer) predictor.get("containerConcurrency")).isGreaterThanOrEqualTo((Integer) predictor.get("scaleTarget"));
        assertThat((Integer) predictor.get("minReplicas")).isLessThan((Integer) predictor.get("maxReplicas"));
    }

    static List<String> strings(Object value) {
        assertThat(value).isInstanceOf(List.class);
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) value) {
            assertThat(o).isInstanceOf(String.class);
            out.add((String) o);
        }
        return out;
    }
}

package dev.inferless.deploy;

import static dev.inferless.deploy.Manifests.list;
import static dev.inferless.deploy.Manifests.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.deploy.Manifests.Doc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/k8s against the Kubernetes API shapes (kinds, API versions, required fields, field types) and against
 * the runtime it runs: routes, port, configuration keys, drain timing, user and metric names.
 */
class KubernetesManifestsTest {

    static final Path K8S = Path.of("deploy/k8s");
    static final Manifests MANIFESTS = Manifests.load(K8S);

    static final Set<String> HEALTH_ROUTES = Set.of("/v2/health/live", "/v2/health/ready");
    static final String QUEUE_METRIC = "inferless_requests_queued";
    static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    // Fields of a v1 Container used here or commonly; anything else is a typo the API server would reject.
    static final Set<String> CONTAINER_FIELDS = Set.of("name", "image", "imagePullPolicy", "command", "args", "ports",
            "env", "envFrom", "resources", "startupProbe", "livenessProbe", "readinessProbe", "lifecycle",
            "securityContext", "volumeMounts", "workingDir", "terminationMessagePolicy");

    static Map<String, Object> podSpec() {
        return map(MANIFESTS.one("Deployment").body(), "spec", "template", "spec");
    }

    static Map<String, Object> container() {
        List<Map<String, Object>> containers = list(podSpec(), "containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (Map<String, Object> e : list(container, "env")) {
            assertThat(e.get("name")).isInstanceOf(String.class);
            assertThat((String) e.get("name")).matches(ENV_NAME);
            assertThat(e.get("value")).as("env %s must be a string (quote numbers)", e.get("name")).isInstanceOf(String.class);
            env.put((String) e.get("name"), (String) e.get("value"));
        }
        return env;
    }

    @Test
    void everyDocumentIsAKnownKindWithItsApiVersionAndAValidName() {
        Map<String, String> apiVersions = Map.of("Deployment", "apps/v1", "Service", "v1",
                "HorizontalPodAutoscaler", "autoscaling/v2", "PersistentVolumeClaim", "v1", "ConfigMap", "v1",
                "Kustomization", "kustomize.config.k8s.io/v1beta1");

        assertThat(MANIFESTS.docs()).extracting(Doc::kind)
                .containsExactlyInAnyOrder("ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Kustomization",
                        "PersistentVolumeClaim", "Service");
        for (Doc doc : MANIFESTS.docs()) {
            assertThat(doc.apiVersion()).as(doc.file().toString()).isEqualTo(apiVersions.get(doc.kind()));
            if (!doc.kind().equals("Kustomization")) {
                assertThat(doc.name()).as(doc.file() + " metadata.name").matches(DNS_1123_LABEL);
            }
        }
    }

    @Test
    void kustomizationListsEveryManifestBesideIt() throws IOException {
        List<Object> resources = List.copyOf((List<?>) MANIFESTS.one("Kustomization").body().get("resources"));
        Set<String> files;
        try (Stream<Path> list = Files.list(K8S)) {
            files = new HashSet<>(list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).toList());
        }

        assertThat(resources).containsExactlyInAnyOrderElementsOf(List.copyOf(files));
    }

    @Test
    void deploymentSelectorMatchesItsPodsAndTheServiceFindsThem() {
        Map<String, Object> deployment = MANIFESTS.one("Deployment").body();
        Map<String, Object> selector = map(deployment, "spec", "selector", "matchLabels");
        Map<String, Object> podLabels = map(deployment, "spec", "template", "metadata", "labels");
        Map<String, Object> service = map(MANIFESTS.one("Service").body(), "spec");

        assertThat(podLabels).containsAllEntriesOf(selector);
        assertThat(podLabels).containsAllEntriesOf(map(service, "selector"));
        Set<String> portNames = new HashSet<>();
        list(container(), "ports").forEach(p -> portNames.add((String) p.get("name")));
        for (Map<String, Object> port : list(service, "ports")) {
            assertThat(port.get("port")).isInstanceOf(Integer.class);
            assertThat(portNames).contains((String) port.get("targetPort"));
        }
    }

    @Test
    void containerPortIsTheOneTheRuntimeIsToldAndPrometheusScrapes() {
        Map<String, Object> container = container();
        int containerPort = (Integer) list(container, "ports").get(0).get("containerPort");
        Map<String, Object> annotations = map(MANIFESTS.one("Deployment").body(), "spec", "template", "metadata", "annotations");

        assertThat(container.keySet()).isSubsetOf(CONTAINER_FIELDS);
        assertThat(env(container)).containsEntry("INFERLESS_SERVER_PORT", String.valueOf(containerPort));
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", String.valueOf(containerPort))
                .containsEntry("prometheus.io/path", "/metrics");
    }

    @Test
    void probesAskTheRuntimeHealthRoutesOnANamedContainerPort() {
        Map<String, Object> container = container();
        Set<String> portNames = new HashSet<>();
        list(container, "ports").forEach(p -> portNames.add((String) p.get("name")));

        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            Map<String, Object> httpGet = map(container, probe, "httpGet");
            assertThat((String) httpGet.get("path")).as(probe).isIn(HEALTH_ROUTES);
            assertThat(portNames).as(probe).contains((String) httpGet.get("port"));
        }
        assertThat(map(container, "readinessProbe", "httpGet").get("path")).isEqualTo("/v2/health/ready");
        assertThat(map(container, "livenessProbe", "httpGet").get("path")).isEqualTo("/v2/health/live");
    }

    @Test
    void terminationGraceCoversPreStopSleepPlusTheRuntimeDrain() throws IOException {
        List<?> preStop = (List<?>) map(container(), "lifecycle", "preStop", "exec").get("command");
        int sleep = Integer.parseInt((String) preStop.get(1));
        String drain = env(container()).getOrDefault("INFERLESS_SERVER_SHUTDOWN_GRACE_S",
                String.valueOf(runtimeConfigDefault("server", "shutdown_grace_s")));
        int grace = (Integer) podSpec().get("terminationGracePeriodSeconds");

        assertThat(preStop.get(0)).isEqualTo("sleep");
        assertThat(sleep).isPositive();
        assertThat(grace).isGreaterThan(sleep + Integer.parseInt(drain));
    }

    @Test
    void everyInferlessVariableIsARuntimeConfigurationKey() throws IOException {
        Set<String> keys = RuntimeConfigKeys.environmentNames(Path.of("runtime-config.yaml"));

        assertThat(keys).containsAll(env(container()).keySet().stream().filter(k -> k.startsWith("INFERLESS_")).toList());
    }

    @Test
    void podRunsAsTheImagesNonRootUserWithEveryMountBacked() {
        Map<String, Object> security = map(podSpec(), "securityContext");
        String uid = ModelStage.APP_USER.split(":")[0];
        Set<String> volumes = new HashSet<>();
        list(podSpec(), "volumes").forEach(v -> volumes.add((String) v.get("name")));

        assertThat(security).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", Integer.parseInt(uid));
        for (Map<String, Object> mount : list(container(), "volumeMounts")) {
            assertThat(volumes).contains((String) mount.get("name"));
        }
        String claim = (String) map(list(podSpec(), "volumes").stream()
                .filter(v -> v.containsKey("persistentVolumeClaim")).findFirst().orElseThrow(), "persistentVolumeClaim")
                .get("claimName");
        assertThat(MANIFESTS.one("PersistentVolumeClaim").name()).isEqualTo(claim);
    }

    @Test
    void autoscalerTargetsTheDeploymentOnTheQueueDepthTheAdapterExposes() {
        Map<String, Object> hpa = map(MANIFESTS.one("HorizontalPodAutoscaler").body(), "spec");
        Map<String, Object> target = map(hpa, "scaleTargetRef");
        List<Map<String, Object>> metrics = list(hpa, "metrics");

        assertThat(target).containsEntry("kind", "Deployment").containsEntry("apiVersion", "apps/v1")
                .containsEntry("name", MANIFESTS.one("Deployment").name());
        assertThat((Integer) hpa.get("minReplicas")).isPositive().isLessThan((Integer) hpa.get("maxReplicas"));
        assertThat(metrics).hasSize(1);
        assertThat(metrics.get(0)).containsEntry("type", "Pods");
        assertThat(map(metrics.get(0), "pods", "metric")).containsEntry("name", QUEUE_METRIC);
        Map<String, Object> metricTarget = map(metrics.get(0), "pods", "target");
        assertThat(metricTarget).containsEntry("type", "AverageValue");
        assertThat(metricTarget.get("averageValue")).as("a quantity string").isInstanceOf(String.class);
        assertThat(adapterRuleNames()).contains(QUEUE_METRIC);
    }

    @Test
    void adapterRulesMapPodSeriesToPodsAndQueryTheirOwnSeries() {
        for (Map<String, Object> rule : adapterRules()) {
            String as = (String) map(rule, "name").get("as");
            assertThat((String) rule.get("seriesQuery")).startsWith(as + "{").contains("namespace!=\"\"", "pod!=\"\"");
            assertThat(map(rule, "resources", "overrides")).containsOnlyKeys("namespace", "pod");
            assertThat((String) rule.get("metricsQuery")).contains("<<.Series>>", "<<.LabelMatchers>>", "by (<<.GroupBy>>)");
        }
    }

    static List<Map<String, Object>> adapterRules() {
        String config = (String) map(MANIFESTS.one("ConfigMap").body(), "data").get("config.yaml");
        Map<String, Object> parsed = new Yaml().load(config);
        return list(parsed, "rules");
    }

    static List<String> adapterRuleNames() {
        return adapterRules().stream().map(r -> (String) map(r, "name").get("as")).toList();
    }

    static Object runtimeConfigDefault(String section, String key) throws IOException {
        Map<String, Object> config = new Yaml().load(Files.readString(Path.of("runtime-config.yaml")));
        return map(config, section).get(key);
    }
}

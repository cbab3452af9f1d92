package dev.inferless.llm.ops.torch;

import ai.djl.util.Platform;
import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * Points DJL's PyTorch engine at an installed libtorch, with a JNI binding built for it.
 *
 * <p>DJL publishes its JNI binding (libdjl_torch.so) for one PyTorch version only. For any other
 * installed torch, we build our own binding (src/main/native, scripts/build-native.sh) and
 * install it where DJL's LibUtils looks for it:
 * {@code <engine cache>/pytorch/<version>-<flavor>-<classifier>/<djl api version>-libdjl_torch.so},
 * then set PYTORCH_LIBRARY_PATH, PYTORCH_VERSION and PYTORCH_FLAVOR as system properties (DJL
 * reads them through Utils.getEnvOrSystemProperty, environment first). Where the installed torch
 * is the version DJL publishes a binding for, DJL's own binding is used.
 *
 * <p>Inputs (environment variable or system property of the same name):
 * INFERLESS_TORCH_LIBRARY_PATH (the directory holding libtorch.so; unset = DJL's defaults),
 * INFERLESS_TORCH_VERSION (torch.__version__, e.g. "2.11.0+cu130"; the local part gives the
 * flavor), INFERLESS_TORCH_FLAVOR (overrides the flavor, e.g. "cu130" or "cpu"),
 * INFERLESS_DJL_BINDING (path of our libdjl_torch.so). Call {@link #configure()} before DJL's
 * engine starts.
 */
public final class TorchBinding {

    static final String LIBRARY_PATH = "INFERLESS_TORCH_LIBRARY_PATH";
    static final String VERSION = "INFERLESS_TORCH_VERSION";
    static final String FLAVOR = "INFERLESS_TORCH_FLAVOR";
    static final String BINDING = "INFERLESS_DJL_BINDING";
    static final String JNI_LIB_NAME = "libdjl_torch.so";
    /** Set to "true" when the binding in use maps bfloat16 (ours does); the engine offers bfloat16 only then. */
    public static final String BF16_PROPERTY = "inferless.torch.bfloat16";

    /**
     * What to do: DJL variables to set and, when our binding is used, where to copy it from and
     * to.
     */
    record Plan(Map<String, String> djlVariables, Optional<Path> bindingSource, Optional<Path> bindingTarget) {

        boolean usesOwnBinding() {
            return bindingSource.isPresent();
        }
    }

    /** Facts about DJL itself that the plan depends on. */
    record DjlFacts(String apiVersion, String classifier, String publishedTorchVersion, Path engineCacheDir) {}

    private TorchBinding() {}

    /**
     * Configures DJL from the environment and system properties. Returns the plan applied, or
     * empty when no installed torch is named (DJL then uses its own libtorch).
     */
    public static Optional<Plan> configure() {
        Function<String, String> lookup = TorchBinding::envOrProperty;
        if (lookup.apply(LIBRARY_PATH) == null) {
            return Optional.empty();
        }
        Plan plan = plan(lookup, djlFacts());
        apply(plan, System::getenv);
        return Optional.of(plan);
    }

    /** Pure: decides the variables and the binding location from the inputs. */
    static Plan plan(Function<String, String> lookup, DjlFacts djl) {
        String libraryPath = required(lookup, LIBRARY_PATH);
        String rawVersion = required(lookup, VERSION);
        String version = baseVersion(rawVersion);
        String flavor = Optional.ofNullable(lookup.apply(FLAVOR)).orElse(flavorOf(rawVersion));
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("PYTORCH_LIBRARY_PATH", libraryPath);
        vars.put("PYTORCH_VERSION", version);
        vars.put("PYTORCH_FLAVOR", flavor);
        if (version.equals(djl.publishedTorchVersion())) {
            return new Plan(vars, Optional.empty(), Optional.empty());
        }
        Path source = Path.of(required(lookup, BINDING));
        Path target =
                djl.engineCacheDir()
                        .resolve(version + '-' + flavor + '-' + djl.classifier())
                        .resolve(djl.apiVersion() + '-' + JNI_LIB_NAME);
        return new Plan(vars, Optional.of(source), Optional.of(target));
    }

    /** "2.11.0+cu130" -> "2.11.0". */
    static String baseVersion(String torchVersion) {
        int plus = torchVersion.indexOf('+');
        String v = plus < 0 ? torchVersion : torchVersion.substring(0, plus);
        if (!v.matches("\\d+\\.\\d+\\.\\d+")) {
            throw new IllegalArgumentException(
                    VERSION + ": expected a torch version like 2.11.0+cu130, got '" + torchVersion + "'");
        }
        return v;
    }

    /** "2.11.0+cu130" -> "cu130"; no local part -> "cpu". */
    static String flavorOf(String torchVersion) {
        int plus = torchVersion.indexOf('+');
        return plus < 0 ? "cpu" : torchVersion.substring(plus + 1);
    }

    static void apply(Plan plan, Function<String, String> environment) {
        for (Map.Entry<String, String> e : plan.djlVariables().entrySet()) {
            String fromEnv = environment.apply(e.getKey());
            if (fromEnv != null && !fromEnv.equals(e.getValue())) {
                throw new IllegalStateException(
                        e.getKey() + " is set in the environment to '" + fromEnv + "', which DJL reads before '"
                                + e.getValue() + "' that the installed torch needs; unset it");
            }
            System.setProperty(e.getKey(), e.getValue());
        }
        if (plan.usesOwnBinding()) {
            install(plan.bindingSource().get(), plan.bindingTarget().get());
            // Our binding maps DJL's BFLOAT16 both ways (DJL's published one aborts on it).
            System.setProperty(BF16_PROPERTY, "true");
        }
    }

    private static void install(Path source, Path target) {
        if (!Files.isRegularFile(source)) {
            throw new IllegalArgumentException(BINDING + ": no binding library at " + source);
        }
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "jni", ".tmp");
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + source + " as " + target, e);
        }
    }

    static DjlFacts djlFacts() {
        Platform platform = Platform.detectPlatform("pytorch");
        return new DjlFacts(
                platform.getApiVersion(),
                platform.getClassifier(),
                publishedTorchVersion(),
                Utils.getEngineCacheDir("pytorch"));
    }

    /** The torch version of the binding in DJL's pytorch-jni jar ("2.7.1" of "2.7.1-0.36.0"). */
    static String publishedTorchVersion() {
        try (InputStream in =
                TorchBinding.class.getClassLoader().getResourceAsStream("jnilib/pytorch.properties")) {
            if (in == null) {
                return "";
            }
            Properties p = new Properties();
            p.load(in);
            String jni = p.getProperty("jni_version", "");
            int dash = jni.indexOf('-');
            return dash < 0 ? jni : jni.substring(0, dash);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read jnilib/pytorch.properties", e);
        }
    }

    private static String required(Function<String, String> lookup, String name) {
        String v = lookup.apply(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " must be set when " + LIBRARY_PATH + " is");
        }
        return v;
    }

    private static String envOrProperty(String name) {
        String env = System.getenv(name);
        return env != null ? env : System.getProperty(name);
    }
}

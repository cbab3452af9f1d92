package dev.inferless.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The {@code build:} section of a model repo's config.yaml: what the model needs in its image on top
 * of the runtime (Inferless's "custom runtime"). Validated here so a bad entry fails before docker runs.
 */
public record BuildSpec(
        String cudaVersion, List<String> systemPackages, List<String> runCommands, List<String> mavenPackages) {

    /** The Dockerfile's CUDA_VERSION: the CUDA (13.0) that the image's libtorch 2.11 was built for. */
    public static final String DEFAULT_CUDA_VERSION = "13.0.1";
    /** The supported cuda_version: the default's major.minor, or any patch release of it. */
    public static final String CUDA_MINOR = DEFAULT_CUDA_VERSION.substring(0, DEFAULT_CUDA_VERSION.lastIndexOf('.'));

    static final Set<String> KNOWN_KEYS = Set.of("cuda_version", "system_packages", "run", "maven_packages");

    // Debian package names (policy 5.6.1), optionally pinned with =version.
    private static final Pattern DEBIAN_PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?");
    private static final Pattern MAVEN_COORDINATE = Pattern.compile("[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+");
    private static final Pattern SUPPORTED_CUDA = Pattern.compile(Pattern.quote(CUDA_MINOR) + "(\\.\\d+)?");

    public BuildSpec {
        systemPackages = List.copyOf(systemPackages);
        runCommands = List.copyOf(runCommands);
        mavenPackages = List.copyOf(mavenPackages);
    }

    /** Reads {@code build:} from a model repo's config.yaml; a repo without one gets the defaults. */
    public static BuildSpec read(Path configYaml) {
        if (!Files.isRegularFile(configYaml)) {
            throw new IllegalArgumentException(configYaml + ": no such file (a model repo needs config.yaml)");
        }
        try (InputStream in = Files.newInputStream(configYaml)) {
            Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            if (root == null) {
                return fromBuildSection(null);
            }
            if (!(root instanceof Map<?, ?> top)) {
                throw new IllegalArgumentException(configYaml + ": the top level must be a mapping");
            }
            return fromBuildSection(top.get("build"));
        } catch (IOException e) {
            throw new IllegalArgumentException(configYaml + ": cannot read: " + e.getMessage(), e);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(configYaml + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    /** Validates the parsed {@code build:} value (null when absent). Errors name the offending field. */
    public static BuildSpec fromBuildSection(Object build) {
        if (build == null) {
            return new BuildSpec(DEFAULT_CUDA_VERSION, List.of(), List.of(), List.of());
        }
        if (!(build instanceof Map<?, ?> section)) {
            throw new IllegalArgumentException("build: must be a mapping with keys " + sortedKnownKeys());
        }
        for (Object key : section.keySet()) {
            if (!KNOWN_KEYS.contains(String.valueOf(key))) {
                throw new IllegalArgumentException(unknownKeyMessage(String.valueOf(key)));
            }
        }
        return new BuildSpec(
                cudaVersion(section.get("cuda_version")),
                matchingStrings(section.get("system_packages"), "system_packages", DEBIAN_PACKAGE,
                        "a Debian package name such as libgomp1 (optionally pinned: name=version)"),
                runCommands(section.get("run")),
                matchingStrings(section.get("maven_packages"), "maven_packages", MAVEN_COORDINATE,
                        "group:artifact:version"));
    }

    private static String unknownKeyMessage(String key) {
        String hint = key.equals("python_packages")
                ? " (this runtime is Java: list Maven artifacts under build.maven_packages instead)"
                : "";
        return "build." + key + ": unknown key; known keys: " + sortedKnownKeys() + hint;
    }

    private static String sortedKnownKeys() {
        return String.join(", ", KNOWN_KEYS.stream().sorted().toList());
    }

    private static String cudaVersion(Object value) {
        String version = value == null ? "" : String.valueOf(value).trim();
        if (version.isEmpty()) {
            return DEFAULT_CUDA_VERSION; // `runtime init` writes "" (no preference)
        }
        if (!SUPPORTED_CUDA.matcher(version).matches()) {
            throw new IllegalArgumentException("build.cuda_version: '" + version + "' is not supported; the image"
                    + " carries libtorch built for CUDA " + CUDA_MINOR + ", so use " + CUDA_MINOR + " or "
                    + CUDA_MINOR + ".N (default " + DEFAULT_CUDA_VERSION + ")");
        }
        return version.equals(CUDA_MINOR) ? DEFAULT_CUDA_VERSION : version;
    }

    private static List<String> runCommands(Object value) {
        List<String> commands = strings(value, "run");
        for (int i = 0; i < commands.size(); i++) {
            String command = commands.get(i);
            if (command.isBlank() || command.contains("\n") || command.contains("\r")) {
                throw new IllegalArgumentException("build.run[" + i + "]: must be one non-empty shell command"
                        + " on one line (split long scripts into several entries)");
            }
        }
        return commands;
    }

    private static List<String> matchingStrings(Object value, String field, Pattern pattern, String expected) {
        List<String> items = strings(value, field);
        for (int i = 0; i < items.size(); i++) {
            if (!pattern.matcher(items.get(i)).matches()) {
                throw new IllegalArgumentException("build." + field + "[" + i + "]: '" + items.get(i)
                        + "' is not " + expected);
            }
        }
        return items;
    }

    private static List<String> strings(Object value, String field) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("build." + field + ": must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new IllegalArgumentException("build." + field + "[" + i + "]: must be a string, got "
                        + (list.get(i) == null ? "null" : list.get(i).getClass().getSimpleName()));
            }
            out.add(s.trim());
        }
        return out;
    }
}

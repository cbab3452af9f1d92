package dev.inferless.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.lang.model.SourceVersion;

/** The files of a new, working model repo: an echo model in app/ sources, with schemas and config.yaml. */
public final class ModelRepoTemplate {

    private ModelRepoTemplate() {}

    /**
     * Relative path -> content, for a repo whose directory is named {@code name}; {@code cudaMinor} is
     * the GPU image's CUDA (deploy's cudaMinor: passed in, so repo does not depend on deploy).
     */
    public static Map<String, String> files(String name, String cudaMinor) {
        String pkg = packageName(name);
        String cls = className(name);
        Map<String, String> files = new LinkedHashMap<>();
        files.put("config.yaml", ""
                + "# A model repo for the Inferless Java runtime: see docs/model-repo.md.\n"
                + "build:\n"
                + "  cuda_version: \"\"        # the GPU image's CUDA: \"" + cudaMinor + "\" or \"" + cudaMinor + ".N\"; empty = its default\n"
                + "  system_packages: []     # apt packages installed in the image\n"
                + "  run: []                 # shell commands run at image build\n"
                + "  maven_packages: []      # extra \"group:artifact:version\" jars (Inferless's python_packages)\n"
                + "model:\n"
                + "  device: cpu             # cpu | gpu | auto\n");
        files.put("input_schema.json", ""
                + "{\n"
                + "  \"prompt\": {\n"
                + "    \"datatype\": \"STRING\",\n"
                + "    \"required\": true,\n"
                + "    \"shape\": [1],\n"
                + "    \"example\": [\"Hello from Inferless\"]\n"
                + "  }\n"
                + "}\n");
        files.put("output_schema.json", ""
                + "{\n"
                + "  \"generated_result\": {\n"
                + "    \"datatype\": \"STRING\",\n"
                + "    \"required\": true,\n"
                + "    \"shape\": [1]\n"
                + "  }\n"
                + "}\n");
        files.put("app/" + pkg + "/" + cls + ".java", ""
                + "package " + pkg + ";\n"
                + "\n"
                + "import dev.inferless.api.InferlessModel;\n"
                + "import dev.inferless.api.ModelContext;\n"
                + "import java.util.Map;\n"
                + "\n"
                + "/** Answers with its prompt: the smallest working model. Replace the body of infer with yours. */\n"
                + "public class " + cls + " implements InferlessModel {\n"
                + "\n"
                + "    private ModelContext context;\n"
                + "\n"
                + "    @Override\n"
                + "    public void initialize(ModelContext context) {\n"
                + "        this.context = context;\n"
                + "        context.logger().log(System.Logger.Level.INFO, \"initialized on device \" + context.device());\n"
                + "    }\n"
                + "\n"
                + "    @Override\n"
                + "    public Map<String, Object> infer(Map<String, Object> inputs) {\n"
                + "        String prompt = (String) inputs.get(\"prompt\");\n"
                + "        context.count(\"echo_characters\", \"Characters echoed back\", prompt.length());\n"
                + "        return Map.of(\"generated_result\", prompt);\n"
                + "    }\n"
                + "\n"
                + "    @Override\n"
                + "    public void finalize(ModelContext context) {\n"
                + "        context.logger().log(System.Logger.Level.INFO, \"finalized\");\n"
                + "    }\n"
                + "}\n");
        files.put("app/META-INF/services/dev.inferless.api.InferlessModel", pkg + "." + cls + "\n");
        return files;
    }

    public static void write(Path dir, String cudaMinor) throws IOException {
        for (Map.Entry<String, String> f : files(dir.toAbsolutePath().normalize().getFileName().toString(), cudaMinor).entrySet()) {
            Path target = dir.resolve(f.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, f.getValue());
        }
    }

    public static String packageName(String name) {
        String pkg = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (pkg.isEmpty() || !Character.isLetter(pkg.charAt(0))) {
            pkg = "model" + pkg;
        }
        return SourceVersion.isKeyword(pkg) ? pkg + "model" : pkg;
    }

    static String className(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        if (sb.length() == 0 || !Character.isLetter(sb.charAt(0))) {
            sb.insert(0, "M");
        }
        return sb + "Model";
    }
}

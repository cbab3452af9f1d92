package dev.inferless.deploy;

import dev.inferless.repo.RepoConfigFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scripts/build-image}: builds a container image for one model repo. The project's Dockerfile makes the
 * runtime (stage {@code runtime}); this appends the stage generated from the repo's {@code build:} section and
 * runs {@code docker build --target model}. {@code --print} shows the generated stage and the command instead.
 */
@Command(name = "build-image", mixinStandardHelpOptions = true,
        description = "Build a container image serving one model repo (its config.yaml build: section shapes it).")
public final class BuildImageCommand implements Callable<Integer> {

    public enum Variant { gpu, cpu }

    @Option(names = "--model", required = true, description = "the model repo directory (inside the build context)")
    Path model;

    @Option(names = "--variant", defaultValue = "gpu", description = "gpu (CUDA + libtorch cu128) or cpu (libtorch from the jar); default ${DEFAULT-VALUE}")
    Variant variant;

    @Option(names = "--tag", description = "image name; default inferless/<model name>:latest")
    String tag;

    @Option(names = "--context", defaultValue = ".", description = "the docker build context holding the project's Dockerfile; default ${DEFAULT-VALUE}")
    Path context;

    @Option(names = "--print", description = "print the generated Dockerfile stage and the docker command; build nothing")
    boolean print;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path root = context.toAbsolutePath().normalize();
        Path modelDir = model.toAbsolutePath().normalize();
        if (!modelDir.startsWith(root.resolve("models")) || modelDir.equals(root.resolve("models"))) {
            throw new IllegalArgumentException("--model: " + model + " must be a directory under " + root.resolve("models")
                    + " (docker copies from the build context " + root + ", whose .dockerignore lets in models/)");
        }
        String modelInContext = root.relativize(modelDir).toString().replace('\\', '/');
        Path configFile = RepoConfigFile.of(modelDir);
        String source = modelInContext + "/" + configFile.getFileName();
        BuildSpec buildSpec = BuildSpec.read(configFile);
        String stage = ModelStage.render(buildSpec, modelInContext, source);
        String imageTag = tag != null ? tag : "inferless/" + modelDir.getFileName().toString().toLowerCase() + ":latest";
        Path generated = root.resolve("target/build-image/" + modelDir.getFileName() + ".Dockerfile");
        List<String> docker = dockerCommand(buildSpec, root.relativize(generated).toString(), imageTag);

        PrintWriter out = spec.commandLine().getOut();
        if (print) {
            out.println("# " + String.join(" ", docker));
            out.print(stage);
            out.flush();
            return 0;
        }
        Path baseDockerfile = root.resolve("Dockerfile");
        if (!Files.isRegularFile(baseDockerfile)) {
            throw new IllegalArgumentException("--context: " + root + " has no Dockerfile");
        }
        Files.createDirectories(generated.getParent());
        Files.writeString(generated, Files.readString(baseDockerfile) + "\n" + stage);
        out.println("wrote " + generated);
        out.println(String.join(" ", docker));
        out.flush();
        return new ProcessBuilder(docker).directory(root.toFile()).inheritIO().start().waitFor();
    }

    List<String> dockerCommand(BuildSpec buildSpec, String dockerfile, String imageTag) {
        return List.of("docker", "build", "-f", dockerfile, "--target", ModelStage.TARGET,
                "--build-arg", "VARIANT=" + variant,
                "--build-arg", "CUDA_VERSION=" + buildSpec.cudaVersion(),
                "-t", imageTag, ".");
    }

    /** Picocli command line whose errors (bad config.yaml included) print as one clear message. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new BuildImageCommand());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (!(e instanceof IllegalArgumentException)) {
                throw e;
            }
            commandLine.getErr().println("build-image: " + e.getMessage());
            return 2;
        });
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}

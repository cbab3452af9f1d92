package dev.inferless.app;

import dev.inferless.config.ConfigException;
import dev.inferless.deploy.BuildSpec;
import dev.inferless.repo.ModelRepoTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code init NAME}: scaffold a working model repo (an echo model in app/ sources) in directory NAME. */
@Command(name = "init", mixinStandardHelpOptions = true, description = "Create a working model repo to start from.")
public final class InitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "Directory of the new model repo, e.g. models/my-model.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(dir) && (!Files.isDirectory(dir) || Files.list(dir).findAny().isPresent())) {
            throw new ConfigException("init: " + dir + " already exists and is not empty");
        }
        ModelRepoTemplate.write(dir, BuildSpec.CUDA_MINOR);
        spec.commandLine().getOut().println("created model repo " + dir + "; try: scripts/serve --model " + dir);
        return 0;
    }
}

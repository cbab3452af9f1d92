package dev.inferless.app;

import dev.inferless.config.ConfigException;
import dev.inferless.llm.ops.torch.TorchBinding;
import dev.inferless.repo.ModelLoadException;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.serving.ModelFailureException;
import dev.inferless.serving.ModelHost;
import dev.inferless.startup.StartupTimeline;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The entrypoint: {@code serve}, {@code infer}, {@code init}. A new command is one more class in {@code subcommands}. */
@Command(name = "inferless", mixinStandardHelpOptions = true, version = "inferless-runtime 0.1.0",
        description = "A model-serving runtime in the style of Inferless.",
        subcommands = {
            ServeCommand.class,
            InferCommand.class,
            InitCommand.class,
            dev.inferless.llm.checkpoint.synthetic.MakeCheckpointCommand.class,
            dev.inferless.bench.BenchCommand.class,
            dev.inferless.bench.LogitsCommand.class,
            dev.inferless.bench.LoadTest.class,
            dev.inferless.deploy.BuildImageCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        StartupTimeline.process().sinceProcessStart("jvm");
        // Before any command touches DJL: on a host with its own libtorch (INFERLESS_TORCH_*), point DJL at it.
        // Tokenization runs on the CPU; without this, DJL's tokenizers look for a CUDA build of their
        // native library on a GPU host and try to download it.
        if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
            System.setProperty("RUST_FLAVOR", "cpu");
        }
        boolean installedTorch = false;
        try (var phase = StartupTimeline.process().start("torch binding")) {
            installedTorch = TorchBinding.configure().isPresent();
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
        if (ServePreload.serves(args)) {
            ServePreload.start(installedTorch);
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error reporting: expected failures print one clear line, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean expected = e instanceof ConfigException || e instanceof ModelLoadException || e instanceof InvalidInputException
                    || e instanceof ModelFailureException;
            commandLine.getErr().println("error: " + (expected ? e.getMessage() : ModelHost.describe(e)));
            if (!expected) {
                e.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

package dev.inferless.repo;

import dev.inferless.api.InferlessModel;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds a model repo's InferlessModel implementation: a class loader over lib/*.jar and app/
 * (compiled at start), then ServiceLoader. Exactly one implementation must be registered.
 */
public final class ModelCodeLoader {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelCodeLoader.class);

    /** The model instance and the class loader its code lives in (the context loader for its calls). */
    public record LoadedCode(InferlessModel model, ClassLoader loader) {}

    private ModelCodeLoader() {}

    public static LoadedCode load(Path repoDir) throws ModelLoadException {
        Path libDir = repoDir.resolve("lib");
        Path appDir = repoDir.resolve("app");
        List<Path> jars = Files.isDirectory(libDir)
                ? SourceCompiler.files(libDir).stream().filter(p -> p.toString().endsWith(".jar")).collect(Collectors.toList())
                : List.of();
        boolean hasApp = Files.isDirectory(appDir);
        if (jars.isEmpty() && !hasApp) {
            throw new ModelLoadException("model repo " + repoDir + " has no code: put Java sources under app/ or jars under lib/");
        }
        List<Path> roots = new ArrayList<>(jars);
        if (hasApp) {
            long start = System.nanoTime();
            Path classes;
            try {
                classes = Files.createTempDirectory("inferless-app-");
            } catch (IOException e) {
                throw new ModelLoadException("cannot create a directory for compiled app/ classes: " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(classes), "delete-compiled-app"));
            SourceCompiler.compile(appDir, jars, classes);
            LOG.info("compiled {} in {} ms", appDir, (System.nanoTime() - start) / 1_000_000);
            roots.add(classes);
        }
        RepoClassLoader loader = new RepoClassLoader(urls(roots), ModelCodeLoader.class.getClassLoader());
        List<ServiceLoader.Provider<InferlessModel>> providers;
        try {
            providers = ServiceLoader.load(InferlessModel.class, loader).stream().collect(Collectors.toList());
        } catch (ServiceConfigurationError e) {
            throw new ModelLoadException("model repo " + repoDir + ": bad " + RepoClassLoader.SERVICE_FILE + ": " + e.getMessage(), e);
        }
        if (providers.isEmpty()) {
            List<String> candidates = implementationsIn(roots, loader);
            throw new ModelLoadException("model repo " + repoDir + ": no implementation of " + InferlessModel.class.getName()
                    + " is registered (found none in " + RepoClassLoader.SERVICE_FILE + " under app/ or in lib/ jars)"
                    + (candidates.isEmpty() ? "" : "; classes that implement it: " + String.join(", ", candidates)
                    + " - name exactly one in that service file"));
        }
        if (providers.size() > 1) {
            throw new ModelLoadException("model repo " + repoDir + ": found " + providers.size() + " implementations of "
                    + InferlessModel.class.getName() + ": " + providers.stream().map(p -> p.type().getName())
                    .collect(Collectors.joining(", ")) + "; register exactly one");
        }
        try {
            return new LoadedCode(providers.get(0).get(), loader);
        } catch (ServiceConfigurationError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ModelLoadException("cannot create " + providers.get(0).type().getName() + ": " + cause, e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Only temporary class files.
        }
    }

    private static URL[] urls(List<Path> roots) throws ModelLoadException {
        URL[] urls = new URL[roots.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = roots.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new ModelLoadException("bad path " + roots.get(i) + ": " + e.getMessage(), e);
            }
        }
        return urls;
    }

    /** Concrete classes under the repo's code roots that implement InferlessModel (for the "none registered" hint). */
    private static List<String> implementationsIn(List<Path> roots, ClassLoader loader) {
        List<String> names = new ArrayList<>();
        for (Path root : roots) {
            try {
                for (String cls : classNames(root)) {
                    try {
                        Class<?> c = Class.forName(cls, false, loader);
                        if (InferlessModel.class.isAssignableFrom(c) && !c.isInterface() && !Modifier.isAbstract(c.getModifiers())) {
                            names.add(cls);
                        }
                    } catch (ReflectiveOperationException | LinkageError ignored) {
                        // A class that does not load cannot be the model either.
                    }
                }
            } catch (IOException | ModelLoadException ignored) {
                // Only a hint for the error message.
            }
        }
        return names;
    }

    private static List<String> classNames(Path root) throws IOException, ModelLoadException {
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(root)) {
            for (Path p : SourceCompiler.files(root)) {
                String rel = root.relativize(p).toString();
                if (rel.endsWith(".class") && !rel.contains("$")) {
                    names.add(rel.substring(0, rel.length() - 6).replace('/', '.').replace('\\', '.'));
                }
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String n = e.nextElement().getName();
                    if (n.endsWith(".class") && !n.contains("$") && !n.endsWith("module-info.class")) {
                        names.add(n.substring(0, n.length() - 6).replace('/', '.'));
                    }
                }
            }
        }
        return names;
    }
}

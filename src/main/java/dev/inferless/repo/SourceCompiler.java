package dev.inferless.repo;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles a model repo's app/ Java sources with javax.tools against the runtime's own classpath
 * (plus the repo's lib/ jars), and copies app/'s other files (META-INF/services/...) next to the classes.
 */
public final class SourceCompiler {

    private SourceCompiler() {}

    public static void compile(Path appDir, List<Path> libJars, Path outDir) throws ModelLoadException {
        compile(ToolProvider.getSystemJavaCompiler(), appDir, libJars, outDir);
    }

    /** {@code javac} is null on a JRE. */
    public static void compile(JavaCompiler javac, Path appDir, List<Path> libJars, Path outDir) throws ModelLoadException {
        List<Path> sources = files(appDir).stream().filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
        if (sources.isEmpty()) {
            copyResources(appDir, outDir);
            return;
        }
        if (javac == null) {
            throw new ModelLoadException("cannot compile " + appDir + ": this Java runtime has no compiler"
                    + " (ToolProvider.getSystemJavaCompiler() is null, i.e. a JRE, not a JDK). Run on a JDK 17+,"
                    + " or ship the model code as a jar under lib/");
        }
        List<String> classpath = new ArrayList<>();
        classpath.add(System.getProperty("java.class.path"));
        libJars.forEach(j -> classpath.add(j.toString()));
        List<String> options = List.of("-d", outDir.toString(), "-classpath", String.join(File.pathSeparator, classpath),
                "-encoding", "UTF-8", "-proc:none", "-g", "-parameters");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StringWriter otherOutput = new StringWriter();
        boolean ok;
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            ok = javac.getTask(otherOutput, files, diagnostics, options, null,
                    files.getJavaFileObjectsFromPaths(sources)).call();
        } catch (IOException e) {
            throw new ModelLoadException("cannot compile " + appDir + ": " + e.getMessage(), e);
        }
        if (!ok) {
            String errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(d -> (d.getSource() == null ? "" : appDir.relativize(Path.of(d.getSource().toUri())) + ":" + d.getLineNumber() + ": ")
                            + d.getMessage(Locale.ROOT))
                    .collect(Collectors.joining("\n  "));
            throw new ModelLoadException("compiling " + appDir + " failed:\n  " + errors + otherOutput);
        }
        copyResources(appDir, outDir);
    }

    static List<Path> files(Path dir) throws ModelLoadException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new ModelLoadException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void copyResources(Path appDir, Path outDir) throws ModelLoadException {
        try {
            for (Path file : files(appDir)) {
                if (file.toString().endsWith(".java")) {
                    continue;
                }
                Path target = outDir.resolve(appDir.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new ModelLoadException("cannot copy resources of " + appDir + ": " + e.getMessage(), e);
        }
    }
}

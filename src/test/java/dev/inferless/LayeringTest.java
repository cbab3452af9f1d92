package dev.inferless;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.inferless.api.InferlessModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package layering of docs/architecture.md, checked on the compiled main classes and the shipped model repos. */
class LayeringTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.inferless");
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.inferless.(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void theServerKnowsNoEngineAndNoModelClass() {
        noClasses().that().resideInAPackage("dev.inferless.server..")
                .should().dependOnClassesThat().resideInAPackage("dev.inferless.llm..")
                .check(main);
        noClasses().that().resideInAPackage("dev.inferless.server..")
                .should().dependOnClassesThat().implement(InferlessModel.class)
                .check(main);
    }

    @Test
    void nothingDependsOnTheEntryPoint() {
        noClasses().that().resideOutsideOfPackage("dev.inferless.app..")
                .should().dependOnClassesThat().resideInAPackage("dev.inferless.app..")
                .check(main);
    }

    /** A model repo compiles against the api package only: the runtime owns the engine. */
    @Test
    void shippedModelReposImportOnlyTheApi() throws IOException {
        List<String> imports;
        try (Stream<Path> files = Files.walk(Path.of("models"))) {
            imports = files.filter(f -> f.toString().endsWith(".java")).flatMap(LayeringTest::lines)
                    .filter(l -> l.startsWith("import dev.inferless.")).toList();
        }
        assertThat(imports).isNotEmpty().allMatch(l -> l.startsWith("import dev.inferless.api."));
    }

    private static Stream<String> lines(Path file) {
        try {
            return Files.readAllLines(file).stream();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

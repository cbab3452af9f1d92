package dev.inferless;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.inferless.api.InferlessModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package layering of docs/architecture.md, checked on the compiled main classes. */
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
}

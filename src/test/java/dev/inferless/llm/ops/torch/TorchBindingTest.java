package dev.inferless.llm.ops.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TorchBindingTest {

    private static final TorchBinding.DjlFacts DJL =
            new TorchBinding.DjlFacts("0.36.0", "linux-x86_64", "2.7.1", Path.of("/cache/pytorch"));

    private static Map<String, String> inputs(String version) {
        Map<String, String> m = new HashMap<>();
        m.put(TorchBinding.LIBRARY_PATH, "/opt/torch/lib");
        m.put(TorchBinding.VERSION, version);
        m.put(TorchBinding.BINDING, "/build/libdjl_torch.so");
        return m;
    }

    @Test
    void newerTorchInstallsOurBindingWhereDjlLooksInItsCache() {
        TorchBinding.Plan plan = TorchBinding.plan(inputs("2.11.0+cu130")::get, DJL);

        assertThat(plan.djlVariables())
                .containsEntry("PYTORCH_LIBRARY_PATH", "/opt/torch/lib")
                .containsEntry("PYTORCH_VERSION", "2.11.0")
                .containsEntry("PYTORCH_FLAVOR", "cu130");
        assertThat(plan.bindingSource()).contains(Path.of("/build/libdjl_torch.so"));
        assertThat(plan.bindingTarget())
                .contains(Path.of("/cache/pytorch/2.11.0-cu130-linux-x86_64/0.36.0-libdjl_torch.so"));
    }

    @Test
    void publishedTorchVersionKeepsDjlsOwnBinding() {
        Map<String, String> in = inputs("2.7.1+cu128");
        in.remove(TorchBinding.BINDING);

        TorchBinding.Plan plan = TorchBinding.plan(in::get, DJL);

        assertThat(plan.usesOwnBinding()).isFalse();
        assertThat(plan.bindingTarget()).isEmpty();
        assertThat(plan.djlVariables()).containsEntry("PYTORCH_VERSION", "2.7.1");
    }

    @Test
    void explicitFlavorWinsAndPlainVersionMeansCpu() {
        Map<String, String> in = inputs("2.5.0");
        assertThat(TorchBinding.plan(in::get, DJL).djlVariables()).containsEntry("PYTORCH_FLAVOR", "cpu");

        in.put(TorchBinding.FLAVOR, "cu124");
        assertThat(TorchBinding.plan(in::get, DJL).bindingTarget())
                .contains(Path.of("/cache/pytorch/2.5.0-cu124-linux-x86_64/0.36.0-libdjl_torch.so"));
    }

    @Test
    void missingInputsAreNamed() {
        Map<String, String> noVersion = inputs("x");
        noVersion.remove(TorchBinding.VERSION);
        assertThatThrownBy(() -> TorchBinding.plan(noVersion::get, DJL))
                .hasMessageContaining(TorchBinding.VERSION);

        Map<String, String> noBinding = inputs("2.11.0+cu130");
        noBinding.remove(TorchBinding.BINDING);
        assertThatThrownBy(() -> TorchBinding.plan(noBinding::get, DJL))
                .hasMessageContaining(TorchBinding.BINDING);

        assertThatThrownBy(() -> TorchBinding.plan(inputs("latest")::get, DJL))
                .hasMessageContaining(TorchBinding.VERSION)
                .hasMessageContaining("latest");
    }

    @Test
    void conflictingEnvironmentVariableIsNamed() {
        TorchBinding.Plan plan = TorchBinding.plan(inputs("2.11.0+cu130")::get, DJL);
        Map<String, String> env = Map.of("PYTORCH_FLAVOR", "cu128");

        assertThatThrownBy(() -> TorchBinding.apply(plan, env::get))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PYTORCH_FLAVOR")
                .hasMessageContaining("cu128");
    }

    @Test
    void publishedVersionIsReadFromDjlsJniJar() {
        assertThat(TorchBinding.publishedTorchVersion()).isEqualTo("2.7.1");
    }
}

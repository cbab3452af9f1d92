package dev.inferless.llm.ops.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JniStubGeneratorTest {

    /** A stand-in for PyTorchLibrary: an overload pair, an underscore, arrays, objects, varargs. */
    @SuppressWarnings("unused")
    static final class Sample_Lib {
        native long sum(long handle);

        native long sum(long handle, long[] dims, boolean keepDim);

        native void set_data(long handle, ByteBuffer data);

        native String name(String[] parts, int[] device);

        native long fromBools(boolean... values);
    }

    private static final String PREFIX = "Java_dev_inferless_llm_ops_torch_JniStubGeneratorTest_00024Sample_1Lib_";

    @Test
    void symbolsFollowJniManglingWithLongNamesOnlyForOverloads() {
        List<String> symbols = JniStubGenerator.symbols(JniStubGenerator.declaredNatives(Sample_Lib.class));

        assertThat(symbols)
                .containsExactlyInAnyOrder(
                        PREFIX + "fromBools",
                        PREFIX + "name",
                        PREFIX + "set_1data",
                        PREFIX + "sum__J",
                        PREFIX + "sum__J_3JZ");
    }

    @Test
    void stubsCoverExactlyTheUnimplementedNatives() {
        var natives = JniStubGenerator.declaredNatives(Sample_Lib.class);
        String code = JniStubGenerator.stubSource(natives, Set.of(PREFIX + "sum__J", PREFIX + "name"));

        assertThat(code)
                .contains("JNIEXPORT jlong JNICALL " + PREFIX + "sum__J_3JZ(JNIEnv* env, jobject, jlong, jlongArray, jboolean)")
                .contains("JNIEXPORT void JNICALL " + PREFIX + "set_1data(JNIEnv* env, jobject, jlong, jobject)")
                .contains("JNIEXPORT jlong JNICALL " + PREFIX + "fromBools(JNIEnv* env, jobject, jbooleanArray)")
                .contains("throwNotAvailable(env, \"set_data\")")
                .doesNotContain(PREFIX + "sum__J(")
                .doesNotContain(PREFIX + "name(");
    }

    @Test
    void definedSymbolsAreFoundInFunctionsAndMacroCalls() {
        String source = "JNIEXPORT jlong JNICALL Java_a_B_f(JNIEnv* env) {}\nDJL_UNARY(Java_a_B_g__J, x.exp())\n";

        assertThat(JniStubGenerator.definedSymbols(source)).containsExactlyInAnyOrder("Java_a_B_f", "Java_a_B_g__J");
    }

    @Test
    void implementationOfAnUndeclaredSymbolIsRejected() {
        var natives = JniStubGenerator.declaredNatives(Sample_Lib.class);

        // the short name of an overloaded native is never looked up by the JVM
        assertThatThrownBy(() -> JniStubGenerator.stubSource(natives, Set.of(PREFIX + "sum")))
                .hasMessageContaining(PREFIX + "sum");
    }

    @Test
    void everyDjlNativeGetsOneSymbol() throws Exception {
        var natives = JniStubGenerator.declaredNatives(Class.forName(JniStubGenerator.DJL_LIBRARY_CLASS));

        assertThat(natives).hasSizeGreaterThan(200);
        assertThat(JniStubGenerator.symbols(natives)).doesNotHaveDuplicates()
                .contains("Java_ai_djl_pytorch_jni_PyTorchLibrary_torchGetItem__J_3J",
                          "Java_ai_djl_pytorch_jni_PyTorchLibrary_torchFromBlob");
    }
}

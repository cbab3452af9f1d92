package dev.inferless.llm.ops.torch;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Generates C++ stubs for the JNI natives of a Java class that a native source directory does not
 * implement, so a binding library exports every symbol the JVM may look up.
 *
 * <p>The declarations are read from the class itself by reflection (what the JVM binds), not from
 * its source text. A stub throws {@code ai.djl.engine.EngineException} naming the native. Overloaded
 * natives get JNI's long names (name__signature), the others the short name, as the JVM resolves
 * them.
 *
 * <p>Usage: {@code JniStubGenerator stubs <nativeDir> <outFile>} writes the stubs; {@code
 * JniStubGenerator symbols} prints every expected exported symbol, one a line.
 */
public final class JniStubGenerator {

    static final String DJL_LIBRARY_CLASS = "ai.djl.pytorch.jni.PyTorchLibrary";
    private static final Pattern DEFINED_SYMBOL =
            Pattern.compile("\\b(Java_[A-Za-z0-9_]+)\\s*[(,]");

    /** One declared native method, reduced to what JNI needs. */
    record NativeMethod(String className, String name, Class<?> returnType, List<Class<?>> params) {

        String signature() {
            return params.stream().map(JniStubGenerator::descriptor).collect(Collectors.joining());
        }
    }

    private JniStubGenerator() {}

    public static void main(String[] args) throws Exception {
        List<NativeMethod> natives = declaredNatives(Class.forName(DJL_LIBRARY_CLASS));
        if (args.length == 1 && args[0].equals("symbols")) {
            symbols(natives).forEach(System.out::println);
        } else if (args.length == 3 && args[0].equals("stubs")) {
            Set<String> defined = definedSymbols(Path.of(args[1]), Path.of(args[2]));
            String code = stubSource(natives, defined);
            Files.writeString(Path.of(args[2]), code, StandardCharsets.UTF_8);
            System.out.println(
                    "declared "
                            + natives.size()
                            + ", implemented "
                            + defined.size()
                            + ", stubs "
                            + (natives.size() - defined.size()));
        } else {
            System.err.println("usage: JniStubGenerator symbols | stubs <nativeDir> <outFile>");
            System.exit(2);
        }
    }

    /** The native methods declared by a class, in a stable order. */
    static List<NativeMethod> declaredNatives(Class<?> type) {
        return Arrays.stream(type.getDeclaredMethods())
                .filter(m -> Modifier.isNative(m.getModifiers()))
                .map(m -> toNative(type, m))
                .sorted(Comparator.comparing(NativeMethod::name)
                        .thenComparing(NativeMethod::signature))
                .collect(Collectors.toList());
    }

    private static NativeMethod toNative(Class<?> type, Method m) {
        return new NativeMethod(
                type.getName(), m.getName(), m.getReturnType(), List.of(m.getParameterTypes()));
    }

    /** Exported symbol of each native: the long form only where the name is overloaded. */
    static List<String> symbols(List<NativeMethod> natives) {
        Map<String, Long> counts =
                natives.stream()
                        .collect(Collectors.groupingBy(NativeMethod::name, Collectors.counting()));
        List<String> out = new ArrayList<>();
        for (NativeMethod m : natives) {
            out.add(symbol(m, counts.get(m.name()) > 1));
        }
        return out;
    }

    static String symbol(NativeMethod m, boolean overloaded) {
        String base = "Java_" + mangle(m.className().replace('.', '/')) + "_" + mangle(m.name());
        return overloaded ? base + "__" + mangle(m.signature()) : base;
    }

    /** JNI name mangling (JNI spec, "Resolving Native Method Names"). */
    static String mangle(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '/') {
                b.append('_');
            } else if (c == '_') {
                b.append("_1");
            } else if (c == ';') {
                b.append("_2");
            } else if (c == '[') {
                b.append("_3");
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                b.append(c);
            } else {
                b.append(String.format("_0%04x", (int) c));
            }
        }
        return b.toString();
    }

    static String descriptor(Class<?> t) {
        if (t.isArray()) {
            return "[" + descriptor(t.getComponentType());
        }
        if (t.isPrimitive()) {
            return switch (t.getName()) {
                case "boolean" -> "Z";
                case "byte" -> "B";
                case "char" -> "C";
                case "short" -> "S";
                case "int" -> "I";
                case "long" -> "J";
                case "float" -> "F";
                case "double" -> "D";
                case "void" -> "V";
                default -> throw new IllegalArgumentException("primitive " + t);
            };
        }
        return "L" + t.getName().replace('.', '/') + ";";
    }

    /** C type of a JNI parameter or return value. */
    static String cType(Class<?> t) {
        if (t.isArray()) {
            Class<?> c = t.getComponentType();
            return c.isPrimitive() ? "j" + c.getName() + "Array" : "jobjectArray";
        }
        if (t.isPrimitive()) {
            return t == void.class ? "void" : "j" + t.getName();
        }
        return t == String.class ? "jstring" : "jobject";
    }

    /** Symbols already defined (as JNI function definitions) by the sources in a directory. */
    static Set<String> definedSymbols(Path nativeDir, Path exclude) throws IOException {
        Set<String> found = new TreeSet<>();
        try (Stream<Path> files = Files.list(nativeDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cc")).collect(Collectors.toList())) {
                if (f.toAbsolutePath().normalize().equals(exclude.toAbsolutePath().normalize())) {
                    continue;
                }
                found.addAll(definedSymbols(Files.readString(f, StandardCharsets.UTF_8)));
            }
        }
        return found;
    }

    static Set<String> definedSymbols(String source) {
        Set<String> found = new TreeSet<>();
        Matcher m = DEFINED_SYMBOL.matcher(source);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /**
     * C++ source with a throwing stub for every declared native not in {@code defined}. Fails if
     * {@code defined} holds a symbol that no declaration has (a wrong overload form, a typo): the
     * JVM would never call it.
     */
    static String stubSource(List<NativeMethod> natives, Set<String> defined) {
        List<String> symbols = symbols(natives);
        Set<String> unknown = new TreeSet<>(defined);
        unknown.removeAll(symbols);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("defined but not declared natives: " + unknown);
        }
        StringBuilder b = new StringBuilder();
        b.append("// GENERATED by dev.inferless.llm.ops.torch.JniStubGenerator (scripts/gen-djl-stubs.sh).\n")
                .append("// Do not edit: every declared native that the other sources do not implement\n")
                .append("// throws ai.djl.engine.EngineException.\n")
                .append("#include \"jni_support.h\"\n\n")
                .append("extern \"C\" {\n");
        Map<String, NativeMethod> bySymbol = new HashMap<>();
        for (int i = 0; i < natives.size(); i++) {
            bySymbol.put(symbols.get(i), natives.get(i));
        }
        for (String symbol : symbols) {
            if (defined.contains(symbol)) {
                continue;
            }
            NativeMethod m = bySymbol.get(symbol);
            b.append("\nJNIEXPORT ").append(cType(m.returnType())).append(" JNICALL ").append(symbol)
                    .append("(JNIEnv* env, jobject");
            for (Class<?> p : m.params()) {
                b.append(", ").append(cType(p));
            }
            b.append(") {\n  inferless::jni::throwNotAvailable(env, \"").append(m.name()).append("\");\n");
            if (m.returnType() != void.class) {
                b.append("  return {};\n");
            }
            b.append("}\n");
        }
        b.append("\n}  // extern \"C\"\n");
        return b.toString();
    }
}

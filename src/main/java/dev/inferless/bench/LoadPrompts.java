package dev.inferless.bench;

import java.util.List;
import java.util.function.IntFunction;

/**
 * The prompts a load test sends, by mode: the bench prompts in turn; a long code context shared by
 * every request with a short distinct tail (what a prefix cache serves); or a distinct long prompt per
 * request (prefill at length, nothing to reuse). Lengths are approximate: code-like text at about
 * four characters a token; the report shows the prompt tokens the server counted.
 */
public enum LoadPrompts {
    BENCH, SHARED_PREFIX, LONG_PROMPT;

    /** Characters per token of Python source under a Llama tokenizer, roughly. */
    static final int CHARS_PER_TOKEN = 4;

    /** The i-th request's prompt, for prompts of about {@code promptTokens} tokens. */
    public IntFunction<String> prompts(int promptTokens) {
        return switch (this) {
            case BENCH -> {
                List<String> bench = BenchPrompts.load();
                yield i -> bench.get(i % bench.size());
            }
            case SHARED_PREFIX -> {
                String prefix = codeContext("shared", promptTokens * CHARS_PER_TOKEN);
                yield i -> prefix + "\n\ndef request_" + i + "(x):\n";
            }
            case LONG_PROMPT -> i -> codeContext("request " + i, promptTokens * CHARS_PER_TOKEN) + "\n\ndef f(x):\n";
        };
    }

    /** Python-like source of at least {@code chars} characters; distinct for distinct {@code name}s from the first line. */
    static String codeContext(String name, int chars) {
        StringBuilder b = new StringBuilder("# module: ").append(name).append('\n');
        for (int n = 0; b.length() < chars; n++) {
            b.append("def helper_").append(n).append("(values, scale=").append(n % 7 + 1).append("):\n")
                    .append("    total = 0\n")
                    .append("    for v in values:\n")
                    .append("        total += v * scale - ").append(n % 13).append('\n')
                    .append("    return total\n\n");
        }
        return b.toString();
    }

    /** The option's spelling: bench, shared-prefix, long-prompt. */
    public static LoadPrompts parse(String mode) {
        return switch (mode) {
            case "bench" -> BENCH;
            case "shared-prefix" -> SHARED_PREFIX;
            case "long-prompt" -> LONG_PROMPT;
            default -> throw new IllegalArgumentException(
                    "--mode must be bench, shared-prefix or long-prompt, got '" + mode + "'");
        };
    }
}

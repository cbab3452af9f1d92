package dev.inferless.llm.checkpoint.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a small Llama-style tokenizer.json (BPE with byte fallback, &lt;unk&gt;=0, &lt;s&gt;=1,
 * &lt;/s&gt;=2) of exactly {@code vocabSize} tokens, for the checkpoints the project makes itself.
 *
 * <p>Layout as in Llama's SentencePiece export: the three special tokens, the 256 byte tokens
 * {@code <0x00>..<0xFF>} (ids 3..258), then single characters, then merged pieces: words common in
 * Python code (each built left to right, one merge per added character), then character pairs and
 * triples until the vocabulary is full. Every merge joins two pieces already in the vocabulary.
 */
public final class TokenizerJsonWriter {

    public static final int MIN_VOCAB_SIZE = 300;
    static final String SPACE = "\u2581"; // SentencePiece's '▁', stands for a space
    static final List<String> SPECIAL_TOKENS = List.of("<unk>", "<s>", "</s>");
    static final int FIRST_BYTE_ID = SPECIAL_TOKENS.size();

    /** Ordered by how much they shorten Python code; indentation first. */
    private static final List<String> CODE_WORDS = List.of(
            SPACE + SPACE + SPACE + SPACE, SPACE + SPACE + SPACE + SPACE + SPACE + SPACE + SPACE + SPACE,
            "def", "return", "self", "import", "for", "in", "if", "print", "from", "else", "elif",
            "while", "class", "None", "True", "False", "and", "or", "not", "is", "range", "len",
            "append", "with", "as", "lambda", "yield", "try", "except", "raise", "pass", "break",
            "continue", "int", "str", "list", "dict", "float", "bool", "open", "sum", "max", "min",
            "sorted", "enumerate", "zip", "map", "result", "value", "key", "data", "items", "numpy",
            "np", "os", "sys", "math", "main", "name", "args", "x", "i", "n", "a", "b");

    private TokenizerJsonWriter() {}

    public static void write(Path file, int vocabSize) {
        if (vocabSize < MIN_VOCAB_SIZE) {
            throw new IllegalArgumentException(
                    "vocabSize must be at least " + MIN_VOCAB_SIZE + ", got " + vocabSize);
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), tokenizerJson(vocabSize));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer to " + file, e);
        }
    }

    static ObjectNode tokenizerJson(int vocabSize) {
        Vocabulary vocab = buildVocabulary(vocabSize);
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIAL_TOKENS.size(); id++) {
            added.addObject().put("id", id).put("content", SPECIAL_TOKENS.get(id))
                    .put("single_word", false).put("lstrip", false).put("rstrip", false)
                    .put("normalized", false).put("special", true);
        }
        root.set("normalizer", normalizer(f));
        root.putNull("pre_tokenizer");
        root.set("post_processor", postProcessor(f));
        root.set("decoder", decoder(f));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.ids.forEach(vocabNode::put);
        ArrayNode merges = model.putArray("merges");
        // "left right": the form every tokenizers version reads; pieces never hold a plain space.
        vocab.merges.forEach(m -> merges.add(m[0] + " " + m[1]));
        return root;
    }

    /** Piece to id, and merges in priority order (each as its two parts). */
    public record Vocabulary(Map<String, Integer> ids, List<String[]> merges) {}

    public static Vocabulary buildVocabulary(int vocabSize) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        List<String[]> merges = new ArrayList<>();
        SPECIAL_TOKENS.forEach(t -> ids.put(t, ids.size()));
        for (int b = 0; b < 256; b++) {
            ids.put(String.format("<0x%02X>", b), ids.size());
        }
        List<String> singles = new ArrayList<>();
        singles.add(SPACE);
        for (char c = '!'; c <= '~'; c++) {
            singles.add(String.valueOf(c));
        }
        for (String s : singles) {
            if (ids.size() == vocabSize) return new Vocabulary(ids, merges);
            ids.put(s, ids.size());
        }
        // Words as "▁word" (after a space) built one character at a time: ▁d, ▁de, ▁def.
        for (String word : CODE_WORDS) {
            String full = word.startsWith(SPACE) ? word : SPACE + word;
            for (int end = 2; end <= full.length(); end++) {
                if (!addMerge(ids, merges, full.substring(0, end - 1), full.substring(end - 1, end), vocabSize)) {
                    return new Vocabulary(ids, merges);
                }
            }
        }
        // Fill the rest with pairs, then triples (pair + char), of single characters.
        for (String a : singles) {
            for (String b : singles) {
                if (!addMerge(ids, merges, a, b, vocabSize)) return new Vocabulary(ids, merges);
            }
        }
        for (String a : singles) {
            for (String b : singles) {
                for (String c : singles) {
                    if (!addMerge(ids, merges, a + b, c, vocabSize)) return new Vocabulary(ids, merges);
                }
            }
        }
        throw new IllegalArgumentException("vocabSize " + vocabSize + " is larger than this writer can fill");
    }

    /** Adds left+right as a new piece if both parts exist and it is new; false once the vocabulary is full. */
    private static boolean addMerge(Map<String, Integer> ids, List<String[]> merges, String left, String right, int vocabSize) {
        if (ids.size() == vocabSize) return false;
        String piece = left + right;
        if (ids.containsKey(left) && ids.containsKey(right) && !ids.containsKey(piece)) {
            ids.put(piece, ids.size());
            merges.add(new String[] {left, right});
        }
        return ids.size() < vocabSize;
    }

    private static ObjectNode normalizer(JsonNodeFactory f) {
        ObjectNode n = f.objectNode().put("type", "Sequence");
        ArrayNode list = n.putArray("normalizers");
        list.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode replace = list.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE);
        return n;
    }

    private static ObjectNode decoder(JsonNodeFactory f) {
        ObjectNode d = f.objectNode().put("type", "Sequence");
        ArrayNode list = d.putArray("decoders");
        ObjectNode replace = list.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", SPACE);
        replace.put("content", " ");
        list.addObject().put("type", "ByteFallback");
        list.addObject().put("type", "Fuse");
        list.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        return d;
    }

    /** Adds &lt;s&gt; in front of each sequence, as Llama's tokenizer does. */
    private static ObjectNode postProcessor(JsonNodeFactory f) {
        ObjectNode p = f.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = p.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = p.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        return p;
    }
}

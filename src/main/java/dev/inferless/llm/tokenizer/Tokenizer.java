package dev.inferless.llm.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Iterator;
import java.util.Map;

/**
 * A Llama-style tokenizer over a Hugging Face tokenizer.json, through DJL's binding of the Rust
 * tokenizers library. Encoding adds BOS itself (when configured), so the post-processor of the file
 * does not matter; decoding always skips special tokens.
 */
public final class Tokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer hf;
    private final int vocabSize;
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final BitSet byteTokens;
    private final BitSet specialTokens;
    private final int anchorId;
    private final int maxPieceBytes;

    private Tokenizer(HuggingFaceTokenizer hf, int vocabSize, int bosId, int eosId, boolean addBos,
                      BitSet byteTokens, BitSet specialTokens, int anchorId, int maxPieceBytes) {
        this.hf = hf;
        this.vocabSize = vocabSize;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBos = addBos;
        this.byteTokens = byteTokens;
        this.specialTokens = specialTokens;
        this.anchorId = anchorId;
        this.maxPieceBytes = maxPieceBytes;
    }

    /**
     * Loads {@code tokenizerJson}; BOS is added unless a tokenizer_config.json next to it says
     * {@code "add_bos_token": false}.
     */
    public static Tokenizer load(Path tokenizerJson, int bosId, int eosId) {
        return load(tokenizerJson, bosId, eosId, addBosToken(tokenizerJson.resolveSibling("tokenizer_config.json")));
    }

    public static Tokenizer load(Path tokenizerJson, int bosId, int eosId, boolean addBos) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new IllegalArgumentException(tokenizerJson + ": model.vocab is missing or not an object");
        }
        BitSet bytes = new BitSet();
        BitSet special = new BitSet();
        int size = 0;
        int anchor = -1;
        int maxPieceBytes = 1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            maxPieceBytes = Math.max(maxPieceBytes, e.getKey().getBytes(StandardCharsets.UTF_8).length);
            int id = e.getValue().asInt();
            size = Math.max(size, id + 1);
            if (isBytePiece(e.getKey())) {
                bytes.set(id);
            } else if (anchor < 0 && isAnchorPiece(e.getKey())) {
                anchor = id;
            }
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            maxPieceBytes = Math.max(maxPieceBytes, t.path("content").asText().getBytes(StandardCharsets.UTF_8).length);
            size = Math.max(size, id + 1);
            if (t.path("special").asBoolean(false)) {
                special.set(id);
            }
        }
        if (anchor < 0) {
            throw new IllegalArgumentException(tokenizerJson + ": no plain ASCII letter or digit piece in model.vocab");
        }
        check(bosId, size, "bos_token_id");
        check(eosId, size, "eos_token_id");
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
        return new Tokenizer(hf, size, bosId, eosId, addBos, bytes, special, anchor, maxPieceBytes);
    }

    public int[] encode(String text) {
        long[] ids = hf.encode(text, false, false).getIds();
        int offset = addBos ? 1 : 0;
        int[] out = new int[ids.length + offset];
        if (addBos) out[0] = bosId;
        for (int i = 0; i < ids.length; i++) {
            out[i + offset] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** The text of {@code ids}, special tokens left out. */
    public String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    public String decode(int[] ids, int from, int to) {
        long[] longs = new long[to - from];
        for (int i = from; i < to; i++) {
            longs[i - from] = ids[i];
        }
        return hf.decode(longs, true);
    }

    public IncrementalDetokenizer newDetokenizer() {
        return new IncrementalDetokenizer(this);
    }

    /**
     * The longest vocabulary piece in UTF-8 bytes, as tokenizer.json spells it: no token stands for
     * more bytes of normalized text than that (spelled "▁" or "Ġ", a space takes more bytes than it stands for).
     */
    public int maxPieceBytes() {
        return maxPieceBytes;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int eosId() {
        return eosId;
    }

    /** A byte-fallback piece {@code <0xXX>}: its text depends on the byte tokens around it. */
    public boolean isByteToken(int id) {
        return byteTokens.get(id);
    }

    public boolean isSpecialToken(int id) {
        return specialTokens.get(id);
    }

    /** A piece whose text is itself, with no leading space: decoding it first keeps a window's leading space. */
    int anchorId() {
        return anchorId;
    }

    @Override
    public void close() {
        hf.close();
    }

    static boolean isBytePiece(String piece) {
        return piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")
                && piece.substring(3, 5).chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    private static boolean isAnchorPiece(String piece) {
        return piece.length() == 1 && Character.isLetterOrDigit(piece.charAt(0)) && piece.charAt(0) < 128;
    }

    private static void check(int id, int vocabSize, String field) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException(field + " " + id + " is outside the tokenizer's vocabulary of " + vocabSize);
        }
    }

    private static boolean addBosToken(Path tokenizerConfig) {
        if (!Files.isRegularFile(tokenizerConfig)) return true;
        try {
            return new ObjectMapper().readTree(tokenizerConfig.toFile()).path("add_bos_token").asBoolean(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + tokenizerConfig + ": " + e.getMessage(), e);
        }
    }
}

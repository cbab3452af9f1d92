package dev.inferless.llm.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Gathers a generation's {@link TokenLogprobs} and writes them as a text model's {@code logprobs}
 * output: a JSON list with one {"token", "logprob", "top": [{"token", "logprob"}]} per generated
 * token, "token" being the text the token added (an alternative's: its own decoded text).
 */
public final class LogprobsCollector implements Consumer<TokenLogprobs> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Tokenizer tokenizer;
    private final List<TokenLogprobs> pending = new ArrayList<>();

    public LogprobsCollector(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public synchronized void accept(TokenLogprobs token) {
        pending.add(token);
    }

    /** The tokens gathered since the last call, as the output's JSON ("[]" when none). */
    public synchronized String drainJson() {
        List<Map<String, Object>> entries = new ArrayList<>(pending.size());
        for (TokenLogprobs t : pending) {
            List<Map<String, Object>> top = new ArrayList<>(t.topTokens().length);
            for (int i = 0; i < t.topTokens().length; i++) {
                top.add(entry(tokenizer.decode(new int[] {t.topTokens()[i]}), t.topLogprobs()[i]));
            }
            Map<String, Object> e = entry(t.text(), t.logprob());
            e.put("top", top);
            entries.add(e);
        }
        pending.clear();
        try {
            return JSON.writeValueAsString(entries);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write logprobs", e);
        }
    }

    private static Map<String, Object> entry(String token, double logprob) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token);
        m.put("logprob", logprob);
        return m;
    }
}

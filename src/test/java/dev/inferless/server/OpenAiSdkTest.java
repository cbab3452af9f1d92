package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK against the codellama-34b-python repo served on a tiny fp32
 * checkpoint: completions and chat (streaming and not), models list and retrieve, errors with their
 * type, code and param, and logprobs.
 */
class OpenAiSdkTest {

    private static final String MODEL = "codellama-34b-python";
    private static TestServer server;
    private static OpenAIClient client;
    private static Path checkpoint;

    @BeforeAll
    static void start() throws Exception {
        Path tmp = Files.createTempDirectory("openai-sdk");
        checkpoint = tmp.resolve("ckpt");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 9, checkpoint);
        server = TestServer.start(Path.of("models/codellama-34b-python"), "model.weights=" + checkpoint,
                "model.device=cpu", "model.warmup=false");
        client = OpenAIOkHttpClient.builder().baseUrl(server.uri("/v1").toString()).apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        server.close();
    }

    private static CompletionCreateParams.Builder completion(String prompt) {
        return CompletionCreateParams.builder().model(MODEL).prompt(prompt).temperature(0.0);
    }

    private static ChatCompletionCreateParams.Builder chat(String user) {
        return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage(user).temperature(0.0).maxCompletionTokens(6);
    }

    @Test
    void completionsDefaultToSixteenTokensWithUsage() {
        Completion c = client.completions().create(completion("def fib(n):").build());
        CompletionChoice choice = c.choices().get(0);
        assertThat(c.usage().orElseThrow().completionTokens()).isBetween(1L, 16L);
        if (c.usage().orElseThrow().completionTokens() < 16) {
            assertThat(choice.finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);
        } else {
            assertThat(choice.finishReason()).isEqualTo(CompletionChoice.FinishReason.LENGTH);
        }
        assertThat(c.usage().orElseThrow().promptTokens()).isGreaterThan(1);
    }

    @Test
    void completionsLogprobsListEachTokenWithItsAlternatives() {
        Completion c = client.completions().create(completion("import os\n").maxTokens(5).logprobs(3).build());
        CompletionChoice choice = c.choices().get(0);
        CompletionChoice.Logprobs lp = choice.logprobs().orElseThrow();
        List<String> tokens = lp.tokens().orElseThrow();
        assertThat(tokens).hasSize((int) c.usage().orElseThrow().completionTokens());
        assertThat(String.join("", tokens)).isEqualTo(choice.text());
        List<Double> logprobs = lp.tokenLogprobs().orElseThrow();
        assertThat(logprobs).allSatisfy(v -> assertThat(v).isLessThanOrEqualTo(0.0));
        long offset = 0;
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(lp.textOffset().orElseThrow().get(i)).isEqualTo(offset);
            offset += tokens.get(i).length();
            var top = lp.topLogprobs().orElseThrow().get(i)._additionalProperties();
            assertThat(top.size()).isBetween(3, 4); // the 3 most likely, plus the chosen one when it is not among them
            // greedy: the chosen token is the most likely one
            double best = top.values().stream().mapToDouble(v -> v.convert(Double.class)).max().orElseThrow();
            assertThat(logprobs.get(i)).isCloseTo(best, org.assertj.core.api.Assertions.within(1e-9));
        }
    }

    @Test
    void chatAnswersAsTheAssistantWithLogprobs() {
        ChatCompletion c = client.chat().completions().create(chat("Write a function.").logprobs(true).topLogprobs(2).build());
        ChatCompletion.Choice choice = c.choices().get(0);
        String text = choice.message().content().orElse("");
        List<ChatCompletionTokenLogprob> content = choice.logprobs().orElseThrow().content().orElseThrow();
        assertThat(content).hasSize((int) c.usage().orElseThrow().completionTokens());
        assertThat(content.stream().map(ChatCompletionTokenLogprob::token).reduce("", String::concat)).isEqualTo(text);
        assertThat(content).allSatisfy(t -> assertThat(t.topLogprobs()).hasSize(2));
        assertThat(c._object_().convert(String.class)).isEqualTo("chat.completion");
    }

    @Test
    void chatStreamsTheSameTextThenUsage() {
        String whole = client.chat().completions().create(chat("Hello").build()).choices().get(0).message().content().orElse("");
        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("Hello")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        for (ChatCompletionChunk chunk : chunks) {
            for (ChatCompletionChunk.Choice choice : chunk.choices()) streamed.append(choice.delta().content().orElse(""));
        }
        assertThat(streamed.toString()).isEqualTo(whole);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().orElseThrow().completionTokens()).isBetween(1L, 6L);
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason()).isPresent();
    }

    @Test
    void completionsStreamWithLogprobs() {
        StringBuilder text = new StringBuilder();
        StringBuilder tokens = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(
                completion("class Tree:\n").maxTokens(6).logprobs(1).build())) {
            stream.stream().forEach(c -> c.choices().forEach(choice -> {
                text.append(choice.text());
                choice.logprobs().flatMap(CompletionChoice.Logprobs::tokens).ifPresent(t -> t.forEach(tokens::append));
            }));
        }
        assertThat(tokens.toString()).isEqualTo(text.toString());
    }

    @Test
    void nChoicesAreTheRequestWithSuccessiveSeeds() {
        String prompt = "def add(a, b):";
        Completion three = client.completions().create(completion(prompt).temperature(1.0).seed(11).maxTokens(8).n(3).build());
        assertThat(three.choices()).extracting(CompletionChoice::index).containsExactly(0L, 1L, 2L);
        long completionTokens = 0;
        for (int i = 0; i < 3; i++) {
            Completion alone = client.completions().create(completion(prompt).temperature(1.0).seed(11 + i).maxTokens(8).build());
            assertThat(three.choices().get(i).text()).isEqualTo(alone.choices().get(0).text());
            completionTokens += alone.usage().orElseThrow().completionTokens();
            assertThat(three.usage().orElseThrow().promptTokens()).isEqualTo(alone.usage().orElseThrow().promptTokens());
        }
        assertThat(three.usage().orElseThrow().completionTokens()).isEqualTo(completionTokens);
        assertThat(three.choices()).extracting(CompletionChoice::text).doesNotHaveDuplicates();
    }

    @Test
    void aListOfPromptsAnswersEachAsAlone() {
        List<String> prompts = List.of("def a():", "import sys\n");
        Completion both = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .promptOfArrayOfStrings(prompts).temperature(0.0).maxTokens(5).build());
        assertThat(both.choices()).hasSize(2);
        for (int p = 0; p < 2; p++) {
            Completion alone = client.completions().create(completion(prompts.get(p)).maxTokens(5).build());
            assertThat(both.choices().get(p).text()).isEqualTo(alone.choices().get(0).text());
        }
    }

    @Test
    void chatStreamsSeveralChoicesAsItAnswersThem() {
        ChatCompletion whole = client.chat().completions().create(chat("Hi").temperature(1.0).seed(5).n(2).build());
        StringBuilder[] streamed = {new StringBuilder(), new StringBuilder()};
        boolean[] role = new boolean[2];
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(chat("Hi").temperature(1.0).seed(5).n(2).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> {
                int i = (int) choice.index();
                role[i] |= choice.delta().role().isPresent();
                streamed[i].append(choice.delta().content().orElse(""));
            }));
        }
        for (int i = 0; i < 2; i++) {
            assertThat(role[i]).isTrue();
            assertThat(streamed[i].toString()).isEqualTo(whole.choices().get(i).message().content().orElse(""));
        }
    }

    @Test
    void outputPenaltiesReachTheEngine() {
        // Greedy is deterministic: the penalties (their effect is GeneratorTest's) must change its answer.
        // Negative ones of -2 add 2 + 2 per occurrence to the output's tokens, so it repeats itself.
        CompletionCreateParams.Builder greedy = completion("def add(a, b):").maxTokens(8)
                .putAdditionalBodyProperty("ignore_eos", com.openai.core.JsonValue.from(true));
        String plain = client.completions().create(greedy.build()).choices().get(0).text();
        String penalized = client.completions().create(greedy.presencePenalty(-2.0).frequencyPenalty(-2.0).build())
                .choices().get(0).text();
        assertThat(penalized).isNotEqualTo(plain);
    }

    @Test
    void logitBiasOfOneHundredMakesGreedyRepeatThatToken() throws Exception {
        try (dev.inferless.llm.checkpoint.Checkpoint ckpt = dev.inferless.llm.checkpoint.Checkpoint.open(checkpoint);
             dev.inferless.llm.tokenizer.Tokenizer tokenizer = dev.inferless.llm.tokenizer.Tokenizer.load(
                     ckpt.tokenizerJson(), ckpt.config().bosTokenId(), ckpt.config().eosTokenId())) {
            int[] ids = tokenizer.encode("return");
            int token = ids[ids.length - 1];
            Completion c = client.completions().create(completion("def add(a, b):").maxTokens(3)
                    .logitBias(CompletionCreateParams.LogitBias.builder()
                            .putAdditionalProperty(Integer.toString(token), com.openai.core.JsonValue.from(100)).build())
                    .putAdditionalBodyProperty("ignore_eos", com.openai.core.JsonValue.from(true)).build());
            assertThat(c.choices().get(0).text()).isEqualTo(tokenizer.decode(new int[] {token, token, token}));
        }
    }

    @Test
    void promptsOfTokenIdsAnswerAsTheirText() throws Exception {
        try (dev.inferless.llm.checkpoint.Checkpoint ckpt = dev.inferless.llm.checkpoint.Checkpoint.open(checkpoint);
             dev.inferless.llm.tokenizer.Tokenizer tokenizer = dev.inferless.llm.tokenizer.Tokenizer.load(
                     ckpt.tokenizerJson(), ckpt.config().bosTokenId(), ckpt.config().eosTokenId())) {
            List<String> texts = List.of("def add(a, b):", "class Tree:\n");
            List<List<Long>> ids = new ArrayList<>();
            for (String t : texts) ids.add(java.util.Arrays.stream(tokenizer.encode(t)).mapToObj(Long::valueOf).toList());
            Completion one = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                    .promptOfArrayOfTokens(ids.get(0)).temperature(0.0).maxTokens(6).build());
            Completion both = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                    .promptOfArrayOfTokenArrays(ids).temperature(0.0).maxTokens(6).build());
            for (int p = 0; p < 2; p++) {
                Completion asText = client.completions().create(completion(texts.get(p)).maxTokens(6).build());
                assertThat(both.choices().get(p).text()).isEqualTo(asText.choices().get(0).text());
                if (p == 0) assertThat(one.choices().get(0).text()).isEqualTo(asText.choices().get(0).text());
            }
            assertThat(one.usage().orElseThrow().promptTokens()).isEqualTo(ids.get(0).size());
        }
    }

    @Test
    void modelsListAndRetrieveGiveTheContextLength() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly(MODEL);
        Model one = client.models().retrieve(MODEL);
        assertThat(one.id()).isEqualTo(MODEL);
        assertThat(one._additionalProperties().get("max_model_len").convert(Integer.class)).isGreaterThan(16);
        NotFoundException e = catchThrowableOfType(NotFoundException.class, () -> client.models().retrieve("other"));
        assertThat(e.code()).contains("model_not_found");
    }

    @Test
    void errorsCarryTypeCodeAndParam() {
        BadRequestException temperature = catchThrowableOfType(BadRequestException.class,
                () -> client.completions().create(completion("x").temperature(2.5).build()));
        assertThat(temperature.type()).contains("invalid_request_error");
        assertThat(temperature.param()).contains("temperature");
        assertThat(temperature.getMessage()).contains("temperature");

        BadRequestException penalty = catchThrowableOfType(BadRequestException.class,
                () -> client.chat().completions().create(chat("x").presencePenalty(2.5).build()));
        assertThat(penalty.param()).contains("presence_penalty");

        BadRequestException n = catchThrowableOfType(BadRequestException.class,
                () -> client.completions().create(completion("x").n(129).build()));
        assertThat(n.param()).contains("n");

        BadRequestException tooLong = catchThrowableOfType(BadRequestException.class,
                () -> client.completions().create(completion("def f():").maxTokens(1_000_000).build()));
        assertThat(tooLong.code()).contains("context_length_exceeded");
        assertThat(tooLong.getMessage()).contains("maximum context length");

        OpenAIServiceException model = catchThrowableOfType(OpenAIServiceException.class,
                () -> client.chat().completions().create(chat("x").model(ChatModel.GPT_4O).build()));
        assertThat(model.statusCode()).isEqualTo(404);
        assertThat(model.param()).contains("model");
    }
}

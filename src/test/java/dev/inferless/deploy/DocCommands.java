package dev.inferless.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shell commands of a markdown file (```bash blocks), split into words the way the shell would. */
final class DocCommands {
    private DocCommands() {}

    record Command(Path doc, String line, List<String> words) {
        String first() {
            return words.get(0);
        }

        boolean startsWith(String... prefix) {
            return words.size() >= prefix.length && words.subList(0, prefix.length).equals(List.of(prefix));
        }

        /** The value after an option (-t X or --tag X or --tag=X); null when absent. */
        String option(String... names) {
            for (int i = 0; i < words.size(); i++) {
                for (String name : names) {
                    if (words.get(i).equals(name) && i + 1 < words.size()) {
                        return words.get(i + 1);
                    }
                    if (words.get(i).startsWith(name + "=")) {
                        return words.get(i).substring(name.length() + 1);
                    }
                }
            }
            return null;
        }

        List<String> options(String name) {
            List<String> values = new ArrayList<>();
            for (int i = 0; i + 1 < words.size(); i++) {
                if (words.get(i).equals(name)) {
                    values.add(words.get(i + 1));
                }
            }
            return values;
        }
    }

    static List<Command> read(Path doc) throws IOException {
        List<Command> commands = new ArrayList<>();
        boolean inBash = false;
        StringBuilder pending = new StringBuilder();
        for (String line : Files.readAllLines(doc)) {
            if (line.startsWith("```")) {
                inBash = !inBash && line.strip().equals("```bash");
                continue;
            }
            if (!inBash) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1);
                continue;
            }
            String whole = pending.append(line).toString().strip();
            pending.setLength(0);
            if (!whole.isEmpty() && !whole.startsWith("#")) {
                commands.add(new Command(doc, whole, words(whole)));
            }
        }
        return commands;
    }

    /** Shell words: whitespace-separated, with '...' literal and "..." quoting (backslash escapes in "..."). */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed ' in: " + line);
                }
                word = (word == null ? new StringBuilder() : word).append(line, i + 1, end);
                i = end;
            } else if (c == '"') {
                word = word == null ? new StringBuilder() : word;
                int j = i + 1;
                for (; j < line.length() && line.charAt(j) != '"'; j++) {
                    if (line.charAt(j) == '\\' && j + 1 < line.length()) {
                        j++;
                    }
                    word.append(line.charAt(j));
                }
                if (j >= line.length()) {
                    throw new IllegalArgumentException("unclosed \" in: " + line);
                }
                i = j;
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = (word == null ? new StringBuilder() : word).append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}

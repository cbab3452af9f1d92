package dev.inferless.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A Dockerfile read into its instructions and stages: enough of the format (comments, parser directives,
 * line continuations, FROM ... AS name) for tests to check structure without a Docker engine.
 */
record ParsedDockerfile(List<Stage> stages, List<Instruction> globalArgs) {

    record Instruction(String keyword, String arguments, int line) {}

    record Stage(String base, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        Optional<Instruction> last(String keyword) {
            List<Instruction> found = all(keyword);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
        }
    }

    static ParsedDockerfile parse(String text) {
        List<Instruction> instructions = instructions(text);
        List<Instruction> globalArgs = new ArrayList<>();
        List<Stage> stages = new ArrayList<>();
        for (Instruction instruction : instructions) {
            if (instruction.keyword().equals("FROM")) {
                String[] words = withoutFlags(instruction.arguments()).split("\\s+");
                String name = words.length == 3 && words[1].equalsIgnoreCase("AS") ? words[2] : null;
                if (words.length != 1 && name == null) {
                    throw new IllegalArgumentException("line " + instruction.line() + ": bad FROM: " + instruction.arguments());
                }
                stages.add(new Stage(words[0], name, new ArrayList<>()));
            } else if (stages.isEmpty()) {
                if (!instruction.keyword().equals("ARG")) {
                    throw new IllegalArgumentException("line " + instruction.line() + ": only ARG may precede the first FROM");
                }
                globalArgs.add(instruction);
            } else {
                stages.get(stages.size() - 1).instructions().add(instruction);
            }
        }
        return new ParsedDockerfile(List.copyOf(stages), List.copyOf(globalArgs));
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no stage named " + name));
    }

    Stage last() {
        return stages.get(stages.size() - 1);
    }

    /** Joins continuation lines, drops comments and blank lines; keywords upper-cased. */
    static List<Instruction> instructions(String text) {
        List<Instruction> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        StringBuilder current = null;
        int startLine = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripTrailing();
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (current == null && trimmed.isEmpty())) {
                continue; // comments may sit inside a continued instruction too
            }
            if (current == null) {
                current = new StringBuilder();
                startLine = i + 1;
            }
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line).append(continues ? " " : "");
            if (!continues) {
                String whole = current.toString().strip();
                int space = whole.indexOf(' ');
                String keyword = (space < 0 ? whole : whole.substring(0, space)).toUpperCase(Locale.ROOT);
                String arguments = space < 0 ? "" : whole.substring(space + 1).strip().replaceAll("\\s+", " ");
                out.add(new Instruction(keyword, arguments, startLine));
                current = null;
            }
        }
        if (current != null) {
            throw new IllegalArgumentException("line " + startLine + ": continuation runs past the end of the file");
        }
        return out;
    }

    /** Drops leading --flag=value options (FROM --platform=..., COPY --from=...). */
    static String withoutFlags(String arguments) {
        String rest = arguments;
        while (rest.startsWith("--")) {
            int space = rest.indexOf(' ');
            rest = space < 0 ? "" : rest.substring(space + 1).strip();
        }
        return rest;
    }
}

package dev.omnibus.tck.selftest;

import dev.omnibus.Capability;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The capability table of tck/README.md says, per capability, which rules skip a test without it and which check
 * more with it: recomputed here from the rules' code ({@code kit.requires(Capability.X)} and
 * {@code caps().has(Capability.X)} in each {@code Rnn*.java}), so an author reading the table reads the kit.
 */
class DocsCapabilityTableTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Pattern REQUIRES = Pattern.compile("requires\\(Capability\\.([A-Z_]+)\\)");
    private static final Pattern HAS = Pattern.compile("has\\(Capability\\.([A-Z_]+)\\)");
    private static final Pattern ROW = Pattern.compile("^\\| `([A-Z_]+)` \\| ([^|]*) \\| ([^|]*) \\|$",
            Pattern.MULTILINE);

    @Test
    void theReadmeTableIsWhatTheRulesDo() throws IOException {
        Map<String, TreeSet<String>> skips = new TreeMap<>();
        Map<String, TreeSet<String>> more = new TreeMap<>();
        for (Capability c : Capability.values()) {
            skips.put(c.name(), new TreeSet<>());
            more.put(c.name(), new TreeSet<>());
        }
        List<Path> rules = new ArrayList<>();
        try (Stream<Path> files = Files.list(ROOT.resolve("tck/src/main/java/dev/omnibus/tck"))) {
            files.filter(f -> f.getFileName().toString().matches("R\\d\\d[A-Z].*\\.java")).forEach(rules::add);
        }
        assertThat(rules).as("the rules' sources").hasSizeGreaterThan(20);
        for (Path rule : rules) {
            String id = rule.getFileName().toString().substring(0, 3);
            String code = Files.readString(rule, StandardCharsets.UTF_8);
            collect(REQUIRES.matcher(code), id, skips);
            collect(HAS.matcher(code), id, more);
        }
        String readme = Files.readString(ROOT.resolve("tck/README.md"), StandardCharsets.UTF_8);
        Map<String, String> documentedSkips = new TreeMap<>();
        Map<String, String> documentedMore = new TreeMap<>();
        Matcher row = ROW.matcher(readme);
        while (row.find()) {
            documentedSkips.put(row.group(1), row.group(2).trim());
            documentedMore.put(row.group(1), row.group(3).trim());
        }
        assertThat(documentedSkips.keySet()).as("the capabilities in tck/README.md's table")
                .isEqualTo(skips.keySet());
        for (String c : skips.keySet()) {
            assertThat(documentedSkips.get(c)).as("rules that skip a test without " + c).isEqualTo(cell(skips.get(c)));
            assertThat(documentedMore.get(c)).as("rules that check more with " + c).isEqualTo(cell(more.get(c)));
        }
    }

    private static void collect(Matcher m, String rule, Map<String, TreeSet<String>> into) {
        while (m.find()) {
            into.get(m.group(1)).add(rule);
        }
    }

    private static String cell(TreeSet<String> rules) {
        return rules.isEmpty() ? "—" : String.join(", ", rules);
    }
}

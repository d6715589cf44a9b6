package dev.omnibus.tck.selftest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docs stay reachable: every Markdown page of the repository (outside {@code target} and hidden directories) is
 * linked from the README, so it is one click away, and every relative link in a page points to a file that exists
 * and, for a {@code #heading}, to a heading of that page (GitHub's anchors).
 */
class DocsLinksTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Pattern FENCE = Pattern.compile("(?ms)^\\s*```.*?^\\s*```[^\\n]*$");
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`\\n]*`");
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}\\s+(.+?)\\s*#*\\s*$");
    private static final Pattern URL_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    @Test
    void everyRelativeLinkPointsToAFileAndHeadingThatExist() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            for (String target : links(page)) {
                if (URL_SCHEME.matcher(target).find()) {
                    continue; // http(s), mailto: not checked here
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no such file)");
                } else if (hash >= 0 && resolved.toString().endsWith(".md")
                        && !anchors(resolved).contains(target.substring(hash + 1))) {
                    broken.add(ROOT.relativize(page) + ": " + target + " (no such heading in "
                            + ROOT.relativize(resolved) + "; it has " + anchors(resolved) + ")");
                }
            }
        }
        assertThat(broken).as("relative links in the docs that lead nowhere").isEmpty();
    }

    @Test
    void everyPageIsOneClickFromTheReadme() throws IOException {
        Path readme = ROOT.resolve("README.md");
        Set<Path> linked = links(readme).stream()
                .filter(target -> !URL_SCHEME.matcher(target).find())
                .map(target -> target.contains("#") ? target.substring(0, target.indexOf('#')) : target)
                .filter(file -> !file.isEmpty())
                .map(file -> ROOT.resolve(file).normalize())
                .collect(Collectors.toSet());
        List<String> unlinked = pages().stream()
                .filter(page -> !page.equals(readme) && !linked.contains(page))
                .map(page -> ROOT.relativize(page).toString())
                .collect(Collectors.toList());
        assertThat(unlinked).as("pages the README does not link to").isEmpty();
    }

    /** The README and every other Markdown file of the repository, outside build output and hidden directories. */
    private static List<Path> pages() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT)) {
            return files.filter(p -> p.toString().endsWith(".md") && Files.isRegularFile(p))
                    .filter(p -> {
                        for (Path part : ROOT.relativize(p.getParent() == null ? p : p.getParent())) {
                            String name = part.toString();
                            if (name.equals("target") || name.startsWith(".")) {
                                return false;
                            }
                        }
                        return true;
                    })
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** Link targets of a page, outside code blocks and code spans. */
    private static List<String> links(Path page) throws IOException {
        String text = CODE_SPAN.matcher(FENCE.matcher(read(page)).replaceAll("")).replaceAll("");
        List<String> targets = new ArrayList<>();
        Matcher link = LINK.matcher(text);
        while (link.find()) {
            targets.add(link.group(1));
        }
        return targets;
    }

    /** The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces as hyphens, -1, -2 ... */
    private static Set<String> anchors(Path page) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        Matcher heading = HEADING.matcher(FENCE.matcher(read(page)).replaceAll(""));
        while (heading.find()) {
            String text = heading.group(1).replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1"); // a link's text only
            String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\p{M} _-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return anchors;
    }

    private static String read(Path page) {
        try {
            return Files.readString(page, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.omnibus.tck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the conformance matrix ({@code docs/conformance.md}) from the kit's {@code report.json} files, so the
 * matrix is generated, never typed. Stateless.
 *
 * <pre>
 * java -cp tck/target/classes dev.omnibus.tck.ConformanceMatrix docs/conformance.md \
 *     backend-&#42;/target/omnibus-tck/report.json
 * </pre>
 * replaces the text between {@value #BEGIN} and {@value #END} in the Markdown file named first. A rule that measured
 * figures shows them in its cell, {@code pass (duplicates 3, resume 1.2 s)}; under the table, each backend's broker
 * version and the settings its harness changed.
 */
public final class ConformanceMatrix {
    /** Marks the start of the generated section. */
    public static final String BEGIN = "<!-- conformance-matrix:begin (generated from */target/omnibus-tck/report.json "
            + "by dev.omnibus.tck.ConformanceMatrix; do not edit) -->";
    /** Marks the end of the generated section. */
    public static final String END = "<!-- conformance-matrix:end -->";
    /** A line naming the broker a backend was tested against, as {@link #render} writes it. */
    private static final Pattern BROKER_LINE = Pattern.compile("(?m)^(Tested against, \\*\\*[^*]+\\*\\*: ).*$");
    /** A cell's figures, as {@link TckReport#describeFigures} writes them. */
    private static final Pattern FIGURES = Pattern.compile("\\((?:[a-z]+ [0-9.]+(?: s)?(?:, )?)+\\)");

    private ConformanceMatrix() {
    }

    /** Updates the Markdown file named first with the reports named after it. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ConformanceMatrix docs/conformance.md report.json [report.json ...]");
            System.exit(2);
        }
        Path markdown = Path.of(args[0]);
        List<TckReport> reports = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            reports.add(TckReport.read(Path.of(args[i])));
        }
        String text = Files.readString(markdown, StandardCharsets.UTF_8);
        Files.writeString(markdown, replaceSection(text, render(reports)), StandardCharsets.UTF_8);
    }

    /** {@code markdown} with its generated section replaced by {@code section}. */
    public static String replaceSection(String markdown, String section) {
        int begin = markdown.indexOf(BEGIN);
        int end = markdown.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("the file has no " + BEGIN + " ... " + END + " section");
        }
        return markdown.substring(0, begin + BEGIN.length()) + "\n" + section + markdown.substring(end);
    }

    /** The generated section of {@code markdown}, or {@code null} when it has none. */
    public static String section(String markdown) {
        int begin = markdown.indexOf(BEGIN);
        int end = markdown.indexOf(END);
        return begin < 0 || end < begin ? null : markdown.substring(begin + BEGIN.length() + 1, end);
    }

    /**
     * {@code section} with the value of every figure in it replaced by {@code #}: what a matrix says apart from the
     * measurements, which differ from run to run (a published matrix and this build's reports agree on verdicts and on
     * which figures were measured, not on the figures' values).
     */
    public static String withoutFigureValues(String section) {
        Matcher m = FIGURES.matcher(section);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().replaceAll("[0-9.]+", "#")));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * What a published matrix and this build's reports must agree on: {@code section} without the figures' values
     * ({@link #withoutFigureValues}) and without the brokers' versions and settings, which are those of the machine
     * that generated the page (another machine's packages may be other versions).
     */
    public static String comparable(String section) {
        return BROKER_LINE.matcher(withoutFigureValues(section)).replaceAll("$1#");
    }

    private static String figures(TckReport.Rule verdict) {
        return verdict.figures().isEmpty() ? "" : " (" + TckReport.describeFigures(verdict.figures()) + ")";
    }

    /** The matrix: a row per rule, a column per backend, then each backend's capabilities and skip reasons. */
    public static String render(List<TckReport> reports) {
        List<TckReport> sorted = new ArrayList<>(reports);
        sorted.sort(Comparator.comparing(TckReport::backend));
        StringBuilder md = new StringBuilder("| rule |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (TckReport r : sorted) {
            md.append(' ').append(r.backend()).append(" |");
            rule.append(" :---: |");
        }
        md.append('\n').append(rule).append('\n');
        List<String> notes = new ArrayList<>();
        for (String id : RuleCatalogue.RULES.keySet()) {
            md.append("| ").append(id).append(' ').append(RuleCatalogue.RULES.get(id)).append(" |");
            for (TckReport r : sorted) {
                TckReport.Rule verdict = r.rule(id);
                String cell;
                switch (verdict.status()) {
                    case "PASSED":
                        cell = "pass" + figures(verdict);
                        break;
                    case "FAILED":
                        cell = "**FAIL**" + figures(verdict);
                        break;
                    default:
                        notes.add(id + ", " + verdict.reason());
                        cell = "skip [" + notes.size() + "]";
                }
                md.append(' ').append(cell).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
        for (TckReport r : sorted) {
            md.append("Capabilities of **").append(r.backend()).append("**: ")
                    .append(String.join(", ", r.capabilities())).append(".\n");
        }
        md.append('\n');
        for (TckReport r : sorted) {
            md.append("Tested against, **").append(r.backend()).append("**: ").append(r.brokerVersion());
            if (!r.brokerSettings().isEmpty()) {
                List<String> settings = new ArrayList<>();
                r.brokerSettings().forEach((k, v) -> settings.add(k + " = " + v));
                md.append("; settings changed: ").append(String.join(", ", settings));
            }
            md.append(" (kit ").append(r.kitVersion()).append(").  \n");
        }
        if (!notes.isEmpty()) {
            md.append('\n');
            for (int i = 0; i < notes.size(); i++) {
                md.append('[').append(i + 1).append("] ").append(notes.get(i).replace("\n", " ")).append("  \n");
            }
        }
        return md.toString();
    }
}
